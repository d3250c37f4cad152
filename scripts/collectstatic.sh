#!/bin/sh
# Builds the static files as production serves them: with debug off, so the manifest of
# hashed names that production settings look up is written (under DJANGO_STATIC_ROOT,
# default var/static). The secrets below exist for this one command, which needs settings
# to load; they never sign or encrypt anything and are not part of the image's environment.
set -eu
cd "$(dirname "$0")/.."
unset DJANGO_DEBUG
DJANGO_SECRET_KEY=collectstatic-only-never-served-with-this-key \
PRESCRIBER_KEY_SECRET=collectstatic-only-never-encrypts-anything \
DJANGO_ALLOWED_HOSTS=localhost \
exec "${PYTHON:-python}" manage.py collectstatic --noinput "$@"
