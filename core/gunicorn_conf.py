"""gunicorn's configuration for crm-gdpr in production (docs/operations.md):

    gunicorn -c python:core.gunicorn_conf "core:create_app()"

Options given on gunicorn's command line win over these (e.g. `--workers 8`). Running under
this file also means production unless the environment says otherwise: Secure cookies
(`CRM_ENV_NAME=production`) and JSON logs (`CRM_LOG_FORMAT=json`).
"""

import os

# the reverse proxy (nginx) on the same host is the only client
bind = "127.0.0.1:8000"
# each worker is a process with its own app and database pool; nothing is shared between
# them but PostgreSQL and the instance folder
workers = 4
timeout = 60
graceful_timeout = 30
# a worker is replaced after this many requests (a slow leak cannot grow without bound)
max_requests = 2000
max_requests_jitter = 200
# the app logs every request as one JSON line with the request id (core/logs.py)
accesslog = None
errorlog = "-"
# X-Forwarded-Proto from the proxy on this host marks HTTPS requests
forwarded_allow_ips = "127.0.0.1,::1"

os.environ.setdefault("CRM_ENV_NAME", "production")
os.environ.setdefault("CRM_LOG_FORMAT", "json")
