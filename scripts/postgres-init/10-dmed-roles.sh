#!/bin/sh
# Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d):
# the database is owned by dmed_owner, which runs migrations; the portal's processes connect
# as dmed_app, which `migrate` grants reads and writes, and no more than SELECT and INSERT on
# the audit trail. Neither is a superuser; the image's superuser stays with the DBA.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v owner_password="$DMED_OWNER_PASSWORD" -v app_password="$DMED_APP_PASSWORD" <<'SQL'
CREATE ROLE dmed_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE dmed_app LOGIN PASSWORD :'app_password';
CREATE DATABASE dmed OWNER dmed_owner;
SQL
