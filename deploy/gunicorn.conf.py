"""gunicorn settings for Xinli (used by deploy/systemd/xinli-web.service; see docs/deploy.md).

Every value can be changed through the environment (the same EnvironmentFile as Django, /etc/xinli/xinli.env):
XINLI_BIND, XINLI_WEB_WORKERS, XINLI_WEB_THREADS, XINLI_WEB_TIMEOUT.
"""

import multiprocessing
import os

wsgi_app = "xinli.wsgi:application"

# Only nginx talks to gunicorn: bind to loopback (or a private address when nginx runs on another host, and then
# firewall the port). Django trusts X-Forwarded-Proto (XINLI_PROXY_SSL_HEADER=1) only because of this.
bind = os.environ.get("XINLI_BIND", "127.0.0.1:8000")

# Workers from the CPU count (2 × cores + 1), each with a few threads: requests mostly wait on PostgreSQL.
# Every thread may hold one database connection (CONN_MAX_AGE), plus one to the replica when configured:
# size PostgreSQL's max_connections for web hosts × workers × threads (see docs/deploy.md).
workers = int(os.environ.get("XINLI_WEB_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("XINLI_WEB_THREADS") or 2)
worker_class = "gthread"

# Long work (reports, rebuilds, imports of large files) runs in Huey, so a request that takes longer than this is a
# fault: the worker is killed and restarted. nginx's proxy_read_timeout is a little longer (65 s).
timeout = int(os.environ.get("XINLI_WEB_TIMEOUT") or 60)
graceful_timeout = 30  # on reload/stop, running requests get this long to finish
keepalive = 5  # idle keep-alive from nginx; nginx's upstream keepalive_timeout is shorter (4 s)
max_requests = 2000  # recycle workers now and then (bounded memory growth) ...
max_requests_jitter = 200  # ... not all at once
worker_tmp_dir = "/dev/shm"  # heartbeat files in memory, not on a possibly slow disk
preload_app = False  # `systemctl reload xinli-web` (HUP) then loads new code in new workers
limit_request_line = 4094
limit_request_fields = 100

# Logs go to stdout/stderr, i.e. the systemd journal. The access log has the path WITHOUT the query string (%(U)s,
# never %(r)s or %(q)s) and no Referer: search forms put ID numbers, phone numbers and names in query strings.
# The client address is the one nginx saw (X-Real-IP); X-Request-ID matches the nginx log line.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("XINLI_WEB_LOG_LEVEL", "info")
access_log_format = '%({x-real-ip}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)s %(p)s rid=%({x-request-id}i)s'
proc_name = "xinli-web"
# gunicorn ≥ 25 opens a control socket under $HOME; systemd signals (HUP, TERM) are all we use, and the service's
# home is read-only. (Older gunicorn ignores this name.)
control_socket_disable = True
