// Every payment server a test starts (in process or as a child) checks its answers against the API's response schemas.
process.env.PS_VALIDATE_RESPONSES = '1';
