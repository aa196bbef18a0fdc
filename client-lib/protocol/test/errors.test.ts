import { ERROR_GROUPS, ERROR_STATUS, errorCodeOfBody, inErrorGroup, isErrorCode } from '@chanpay/protocol';

describe('error codes', () => {
  test('errorCodeOfBody reads the stable code of an error body and nothing else', () => {
    expect(errorCodeOfBody(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'x' } }))).toBe('NOT_FOUND');
    expect(errorCodeOfBody(JSON.stringify({ error: { code: 'MADE_UP_CODE' } }))).toBeNull();
    expect(errorCodeOfBody(JSON.stringify({ error: { code: 42 } }))).toBeNull();
    expect(errorCodeOfBody(JSON.stringify({ error: 'NOT_FOUND' }))).toBeNull();
    expect(errorCodeOfBody('null')).toBeNull();
    expect(errorCodeOfBody('<html>502 Bad Gateway</html>')).toBeNull();
    expect(errorCodeOfBody('')).toBeNull();
  });

  test('every code in a group is a known code with a 4xx or 5xx status', () => {
    for (const [group, codes] of Object.entries(ERROR_GROUPS)) {
      for (const code of codes) {
        expect(isErrorCode(code)).toBe(true);
        expect(inErrorGroup(group as keyof typeof ERROR_GROUPS, code)).toBe(true);
        expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
      }
    }
    expect(isErrorCode('toString')).toBe(false);
    expect(inErrorGroup('FATAL', 'toString')).toBe(false);
  });
});
