// The two readers scripts/derive-proto-meta.mjs needs: the subset of proto2 that go-to-protobuf writes
// (one package, imports, flat messages of `optional`/`repeated`/`map<,>` fields; no nesting, no enums,
// no oneofs), and the struct tags of Go source (`json:"…"`, `protobuf:"…"`).

// Line comments go first: the licence's block comment holds a `//` (in its URL) on a line before its `*/`.
const stripComments = (text) => text.replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');

/** { pkg, imports, messages: [{ name, fields: [{ label, type, key?, value?, name, number }] }] }. */
export function parseProto(text) {
  const src = stripComments(text);
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(src)?.[1];
  if (!pkg) throw new Error('generated.proto: no package');
  const imports = [...src.matchAll(/^\s*import\s+"([^"]+)"\s*;/gm)].map((m) => m[1]);
  const messages = [];
  for (const m of src.matchAll(/^message\s+(\w+)\s*\{([^}]*)\}/gm)) {
    const fields = [];
    for (const line of m[2].split('\n').map((l) => l.trim()).filter(Boolean)) {
      let f = /^(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(?:\[[^\]]*\])?\s*;$/.exec(line);
      if (f) {
        fields.push({ label: f[1], type: f[2], name: f[3], number: Number(f[4]) });
        continue;
      }
      f = /^map\s*<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;$/.exec(line);
      if (f) {
        fields.push({ label: 'map', type: 'map', key: f[1], value: f[2], name: f[3], number: Number(f[4]) });
        continue;
      }
      throw new Error(`message ${m[1]}: cannot read "${line}"`);
    }
    messages.push({ name: m[1], fields });
  }
  if (/^\s*(enum|oneof|extend|service)\b/m.test(src)) throw new Error(`package ${pkg}: a construct go-to-protobuf does not write`);
  return { pkg, imports, messages };
}

/**
 * Go struct name → protobuf field number → { json, keepZero, inline }: the JSON name; whether a zero
 * value is one JSON sends (a pointer, which the protobuf encoder writes only when set, or a field
 * without omitempty/omitzero); whether it is an embedded struct JSON inlines.
 */
export function parseGo(text) {
  const out = new Map();
  for (const s of text.matchAll(/^type\s+(\w+)\s+struct\s*\{\n([\s\S]*?)^\}/gm)) {
    const fields = new Map();
    for (const line of s[2].split('\n')) {
      const f = /^\s*(?:(\w+)\s+)?([*[\]\w.]+)\s+`([^`]*)`/.exec(line);
      if (!f) continue;
      const proto = /(?:^|\s)protobuf:"([^"]*)"/.exec(f[3])?.[1];
      if (!proto || proto === '-') continue;
      const number = Number(proto.split(',')[1]);
      const json = /(?:^|\s)json:"([^"]*)"/.exec(f[3])?.[1];
      const [name = '', ...opts] = (json ?? '').split(',');
      const embedded = f[1] === undefined;
      fields.set(number, {
        json: name,
        keepZero: f[2].startsWith('*') || !(opts.includes('omitempty') || opts.includes('omitzero')),
        inline: embedded && name === '',
      });
    }
    if (fields.size > 0) out.set(s[1], fields);
  }
  return out;
}
