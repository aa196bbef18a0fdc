# Sourced by the postgres image's entrypoint on the first start (an empty data directory), in the official image
# and in local/postgres-base alike: creates each database that CHANPAY_DATABASES names (comma separated), owned
# by POSTGRES_USER. A payment server team and each provider service with replicas get one each (docs/scaling.md).
for chanpay_db in $(echo "${CHANPAY_DATABASES:-}" | tr ',' ' '); do
  echo "creating database $chanpay_db"
  psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname postgres -c "CREATE DATABASE \"$chanpay_db\""
done
