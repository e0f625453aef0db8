/**
 * Input problems: every message names the file, the object and the field path, and all
 * problems are collected before podnet gives up, so a user sees them at once.
 */

export interface Problem {
  file: string;
  /** e.g. "networkpolicy default/web"; absent for file-level problems such as broken YAML. */
  object?: string;
  /** e.g. "spec.ingress[0].from[1].ipBlock.cidr" */
  path?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return [p.file, p.object, p.path, p.message].filter((s) => s !== undefined && s !== '').join(': ');
}

/** Thrown when input is invalid; carries every problem found. The CLI prints them and exits 2. */
export class InputError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
  }
}

/** Collects problems for one object, prefixing its identity. */
export class ProblemSink {
  readonly problems: Problem[] = [];
  /** Things the API server would reject but podnet can still interpret: reported, not fatal. */
  readonly warnings: Problem[] = [];

  forObject(file: string, object: string): ObjectProblems {
    return new ObjectProblems(this, file, object);
  }

  add(p: Problem): void {
    this.problems.push(p);
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new InputError(this.problems);
  }
}

export class ObjectProblems {
  constructor(
    private readonly sink: ProblemSink,
    readonly file: string,
    readonly object: string,
  ) {}

  error(path: string, message: string): void {
    this.sink.add({ file: this.file, object: this.object, path, message });
  }

  warn(path: string, message: string): void {
    this.sink.warnings.push({ file: this.file, object: this.object, path, message });
  }

  get count(): number {
    return this.sink.problems.length;
  }
}
