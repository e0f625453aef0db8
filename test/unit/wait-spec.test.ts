import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/common.js';
import { parseDuration } from '../../src/cli/common.js';
import { parseCondition, parseTargets, selectPods, type WaitPod } from '../../src/cli/wait-spec.js';
import { matchesSelector } from '../../src/model/labels.js';
import { parseSelectorText, SelectorSyntaxError } from '../../src/model/selector-text.js';

describe('label selectors as text (kubectl -l)', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/team': 'a' };
  it.each<[string, boolean]>([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true], // != matches objects without the key, as apimachinery's NotEquals
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app in (web,db)', true],
    ['app notin (web,db)', false],
    ['app in (db)', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['app in (db, web),tier', true],
    ['example.com/team=a', true],
  ])('%s selects {app: web, tier: front}: %s', (text, want) => {
    expect(matchesSelector(parseSelectorText(text), labels)).toBe(want);
  });

  it.each([['a in (b'], ['app=we b'], ['=x'], ['app,,tier'], ['-app']])('%s is refused', (text) => {
    expect(() => parseSelectorText(text)).toThrow(SelectorSyntaxError);
  });
});

describe('podnet wait arguments', () => {
  it.each<[string[], { all?: boolean; selector?: boolean }, object]>([
    [['pod/a', 'pods/b', 'po/c'], {}, { names: ['a', 'b', 'c'] }],
    [['pods'], { all: true }, { selector: { matchLabels: {}, matchExpressions: [] } }],
  ])('targets %j', (args, opts, want) => {
    expect(parseTargets(args, { all: opts.all })).toEqual(want);
  });

  it.each<[string[], { all?: boolean }]>([
    [['pods'], {}],
    [['pod/a', 'pods'], { all: true }],
    [['svc/a'], {}],
    [['pod/'], {}],
  ])('refuses targets %j', (args, opts) => {
    expect(() => parseTargets(args, opts)).toThrow(UsageError);
  });

  it.each<[string | undefined, object | null]>([
    ['condition=Ready', { kind: 'ready', want: true }],
    ['condition=ready=false', { kind: 'ready', want: false }],
    ['condition=Ready=True', { kind: 'ready', want: true }],
    ['delete', { kind: 'delete' }],
    ['condition=Available', null],
    [undefined, null],
  ])('--for %s', (text, want) => {
    if (want === null) expect(() => parseCondition(text)).toThrow(UsageError);
    else expect(parseCondition(text)).toEqual(want);
  });

  it.each<[string, number | null]>([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5s', 1_500],
    ['2h', 7_200_000],
    ['10', 10_000],
    ['10x', null],
    ['1m 30s', null],
    ['', null],
  ])('--timeout %s', (text, want) => {
    if (want === null) expect(() => parseDuration(text, '--timeout')).toThrow(UsageError);
    else expect(parseDuration(text, '--timeout')).toBe(want);
  });

  it('picks pods by name in the namespace, or by selector across namespaces', () => {
    const pods: WaitPod[] = [
      { key: 'default/a', namespace: 'default', name: 'a', labels: { app: 'x' } },
      { key: 'prod/a', namespace: 'prod', name: 'a', labels: { app: 'x' } },
      { key: 'prod/b', namespace: 'prod', name: 'b', labels: { app: 'y' } },
    ];
    expect(selectPods(pods, { names: ['a'] }, 'prod').map((p) => p.key)).toEqual(['prod/a']);
    expect(selectPods(pods, { selector: parseSelectorText('app=x') }, undefined).map((p) => p.key)).toEqual(['default/a', 'prod/a']);
    expect(selectPods(pods, { selector: parseSelectorText('') }, 'prod').map((p) => p.key)).toEqual(['prod/a', 'prod/b']);
  });
});
