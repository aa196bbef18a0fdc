// The payment-server-pg jest project: the payment server's API tests again, each server on PostgreSQL (see harness.ts).
process.env.PS_TEST_STORE = 'postgres';
