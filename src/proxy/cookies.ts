/**
 * The value of cookie `name` in a Cookie header ("a=1; b=2"), without
 * allocating for the cookies before it; a quoted value loses its quotes.
 * Undefined when the cookie is absent. Names compare case-sensitively.
 */
export function cookieValue(header: string, name: string): string | undefined {
  const n = name.length;
  let i = 0;
  while (i < header.length) {
    while (header.charCodeAt(i) === 0x20 || header.charCodeAt(i) === 0x09) i++;
    let end = header.indexOf(';', i);
    if (end === -1) end = header.length;
    if (header.startsWith(name, i)) {
      let j = i + n;
      while (header.charCodeAt(j) === 0x20) j++;
      if (header.charCodeAt(j) === 0x3d /* = */) {
        let value = header.slice(j + 1, end).trim();
        if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) value = value.slice(1, -1);
        return value;
      }
    }
    i = end + 1;
  }
  return undefined;
}
