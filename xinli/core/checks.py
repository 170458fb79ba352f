"""Production checks (``make prod-check`` → ``manage.py prod_check``, also part of ``manage.py check --deploy``).

Registered as Django deployment checks, so they run only with ``--deploy`` or ``prod_check`` — never during the
tests or ``runserver``. Each failure is an Error with id ``xinli.E0xx``, a bilingual message and the fix as hint.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

# Secret keys this repository itself writes somewhere (settings.py fall-backs, examples): never valid in production.
PLACEHOLDER_SECRETS = ("insecure", "change-me", "changeme", "placeholder", "example")
HSTS_ONE_YEAR = 31536000
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "::1", "[::1]"}


def _err(n: int, msg: str, hint: str) -> Error:
    return Error(msg, hint=hint, id=f"xinli.E{n:03d}")


@register(Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs):
    key = str(getattr(settings, "SECRET_KEY", "") or "")
    if not key or any(p in key.lower() for p in PLACEHOLDER_SECRETS) or len(key) < 50 or len(set(key)) < 5:
        return [_err(1, "XINLI_SECRET_KEY is not set or is a placeholder. / 未设置 XINLI_SECRET_KEY 或仍为占位值。",
                     "Set XINLI_SECRET_KEY to at least 50 random characters, e.g. "
                     "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. / 设置至少 50 位随机字符。")]
    return []


@register(Tags.security, deploy=True)
def check_debug(app_configs=None, **kwargs):
    if settings.DEBUG:
        return [_err(2, "DEBUG is on. / 调试模式已开启。", "Unset XINLI_DEBUG or set it to 0. / 取消 XINLI_DEBUG 或设为 0。")]
    return []


@register(Tags.security, deploy=True)
def check_demo(app_configs=None, **kwargs):
    if getattr(settings, "XINLI_DEMO", False):
        return [_err(3, "XINLI_DEMO is on: demo accounts may skip two-factor login. / 演示模式已开启：演示账号可跳过双因素登录。",
                     "Unset XINLI_DEMO or set it to 0. / 取消 XINLI_DEMO 或设为 0。")]
    return []


@register(Tags.security, deploy=True)
def check_keys(app_configs=None, **kwargs):
    from xinli.core.crypto import build_keyring

    spec, index = getattr(settings, "XINLI_DATA_KEYS", ""), getattr(settings, "XINLI_INDEX_KEY", "")
    if not spec or not index:
        return [_err(4, "XINLI_DATA_KEYS and XINLI_INDEX_KEY are not both set: keys would come from the key file. "
                        "/ 未同时设置 XINLI_DATA_KEYS 与 XINLI_INDEX_KEY：将读取本地密钥文件。",
                     "Provide both from the environment (systemd EnvironmentFile readable by the service only, or a key "
                     "management system); see docs/security.md. / 通过环境变量提供两者，见 docs/security.md。")]
    try:
        build_keyring(spec, index)
    except (ImproperlyConfigured, ValueError) as exc:
        return [_err(5, f"XINLI_DATA_KEYS / XINLI_INDEX_KEY are invalid: {exc}. / 密钥格式无效。",
                     "Data keys look like 'k1:<base64 of 16 bytes>'; the index key is base64 of at least 32 bytes; "
                     "`manage.py generate_keys --print` writes valid ones. / 用 generate_keys 生成有效密钥。")]
    return []


@register(Tags.security, deploy=True)
def check_https(app_configs=None, **kwargs):
    errors = []
    hsts = int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0)
    if hsts < HSTS_ONE_YEAR:
        errors.append(_err(6, f"HSTS is off or shorter than a year (SECURE_HSTS_SECONDS = {hsts}). "
                              f"/ 未启用 HSTS 或有效期不足一年（{hsts} 秒）。",
                           "Unset XINLI_HSTS_SECONDS (default one year outside the demo) or set it to at least 31536000; "
                           "a smaller value is only for testing HTTPS before going live. "
                           "/ 取消 XINLI_HSTS_SECONDS（演示模式外默认一年）或设为不少于 31536000。"))
    if not getattr(settings, "SECURE_SSL_REDIRECT", False) and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        errors.append(_err(7, "Neither HTTPS redirect nor the proxy's X-Forwarded-Proto header is configured. "
                              "/ 未配置 HTTPS 跳转或反向代理的 X-Forwarded-Proto。",
                           "Behind nginx set XINLI_PROXY_SSL_HEADER=1 (and XINLI_SSL_REDIRECT=1). "
                           "/ 在 nginx 之后设置 XINLI_PROXY_SSL_HEADER=1。"))
    if not (getattr(settings, "SESSION_COOKIE_SECURE", False) and getattr(settings, "CSRF_COOKIE_SECURE", False)):
        errors.append(_err(8, "Session and CSRF cookies are not marked Secure. / 会话与 CSRF Cookie 未设置 Secure。",
                           "Set XINLI_SECURE_COOKIES=1. / 设置 XINLI_SECURE_COOKIES=1。"))
    return errors


@register(Tags.security, deploy=True)
def check_csp(app_configs=None, **kwargs):
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES", {}) if isinstance(policy, dict) else {}
    if "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE or not directives.get("default-src"):
        return [_err(9, "Content-Security-Policy is missing (CSPMiddleware and a default-src directive). "
                        "/ 缺少内容安全策略（CSP）。",
                     "Keep csp.middleware.CSPMiddleware and CONTENT_SECURITY_POLICY from xinli/settings.py. "
                     "/ 保留 settings.py 中的 CSP 配置。")]
    return []


@register(Tags.security, deploy=True)
def check_hosts(app_configs=None, **kwargs):
    hosts = [h.strip() for h in settings.ALLOWED_HOSTS]
    if not hosts or "*" in hosts or not set(hosts) - LOCAL_HOSTS:
        return [_err(10, f"ALLOWED_HOSTS is a wildcard or only local names: {hosts}. / 允许的主机名为通配符或仅本机。",
                     "Set XINLI_ALLOWED_HOSTS to the served names, e.g. xinli.example.gov.cn. "
                     "/ 将 XINLI_ALLOWED_HOSTS 设为对外域名。")]
    return []


@register(Tags.database, deploy=True)
def check_database(app_configs=None, **kwargs):
    errors = []
    for alias, db in settings.DATABASES.items():
        if "postgresql" not in db.get("ENGINE", ""):
            errors.append(_err(11, f"Database {alias!r} is not PostgreSQL ({db.get('ENGINE')}). / 数据库 {alias} 不是 PostgreSQL。",
                               "Set DATABASE_URL (and XINLI_REPLICA_DATABASE_URL) to postgres://user@host:5432/name. "
                               "/ 设置 DATABASE_URL 为 PostgreSQL。"))
    return errors


@register(Tags.security, deploy=True)
def check_queue(app_configs=None, **kwargs):
    huey = getattr(settings, "HUEY", {}) or {}
    if not getattr(settings, "REDIS_URL", "") or "Redis" not in str(huey.get("huey_class", "")):
        return [_err(12, "REDIS_URL is not set: the task queue is a local SQLite file (one host only). "
                         "/ 未设置 REDIS_URL：任务队列为本地 SQLite 文件。",
                     "Set REDIS_URL, e.g. redis://127.0.0.1:6379/0. / 设置 REDIS_URL。")]
    return []


@register(Tags.security, deploy=True)
def check_two_factor(app_configs=None, **kwargs):
    if not getattr(settings, "XINLI_REQUIRE_2FA", False):
        return [_err(13, "Two-factor login is not required. / 未强制双因素登录。",
                     "Unset XINLI_REQUIRE_2FA or set it to 1. / 取消 XINLI_REQUIRE_2FA 或设为 1。")]
    return []
