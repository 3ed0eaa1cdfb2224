// `x-unsupported-unless: "<regex>"`: a string that does not match is a valid Kong value that Sluice
// does not implement (a Kong template that needs Lua code, for one). Registered on the one ajv
// instance (config/ajv.ts) when a plugin schema that uses it is imported. Pure; any thread.
import { ajv } from './ajv.ts';

export const UNSUPPORTED_UNLESS_KEYWORD = 'x-unsupported-unless';

if (ajv.getKeyword(UNSUPPORTED_UNLESS_KEYWORD) === false) {
  ajv.addKeyword({
    keyword: UNSUPPORTED_UNLESS_KEYWORD,
    schemaType: 'string',
    compile: (pattern: string) => {
      const re = new RegExp(pattern);
      return (data: unknown) => typeof data !== 'string' || re.test(data);
    },
  });
}
