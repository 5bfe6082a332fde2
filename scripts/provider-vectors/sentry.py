"""Sentry integration-platform webhook vector checked by Sentry's official example app.

Usage: python3 sentry.py <checkout of github.com/getsentry/integration-platform-example>

Imports backend-py/src/api/middleware/verify_sentry_signature.py unchanged (its Flask, dotenv
and app-logger imports are stand-ins) and calls its is_correct_sentry_signature on the raw body.
"""
import importlib.util
import sys
import types

SECRET = "sentry-client-secret"
BODY = b'{"action":"created","data":{"issue":{"id":"1170820242"}},"installation":{"uuid":"7a485448"}}'
SIGNATURE = "781ae2bcbec398e53405772ac536ccd137574d4d94ce08a81094ca80359fe758"

sys.modules["dotenv"] = types.SimpleNamespace(load_dotenv=lambda: None)
sys.modules["flask"] = types.SimpleNamespace(request=None, Response=None)
sys.modules["src"] = types.SimpleNamespace(
    app=types.SimpleNamespace(logger=types.SimpleNamespace(info=lambda *_: None))
)
path = f"{sys.argv[1]}/backend-py/src/api/middleware/verify_sentry_signature.py"
spec = importlib.util.spec_from_file_location("verify_sentry_signature", path)
sample = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sample)

ok = sample.is_correct_sentry_signature(body=BODY, key=SECRET, expected=SIGNATURE)
tampered = sample.is_correct_sentry_signature(body=b" " + BODY, key=SECRET, expected=SIGNATURE)
print(f"client secret: {SECRET}\nbody: {BODY.decode()}\nSentry-Hook-Signature: {SIGNATURE}")
print(f"sample accepts: {ok}; tampered body accepted: {tampered}")
sys.exit(0 if ok and not tampered else 1)
