// How a config path is written for people: `agents.assistant.tools.crm_*.channels[0]`.

/** A config path as people write it: `agents.assistant.tools.crm_*.channels[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}
