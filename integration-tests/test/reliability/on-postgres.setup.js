// The integration-tests-pg jest project: fault tests with every payment server of their fixtures on PostgreSQL
// (lib/setup.ts FAULTS_STORE), and the replica fault tests (replica-faults.test.ts).
process.env.CHANPAY_FAULTS_STORE = 'postgres';
