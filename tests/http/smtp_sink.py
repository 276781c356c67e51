#!/usr/bin/python3
"""A real SMTP server for the HTTP tests, on Debian's aiosmtpd.

    /usr/bin/python3 tests/http/smtp_sink.py --port PORT --out FILE \
        [--user NAME --password SECRET]

Listens on 127.0.0.1:PORT and appends one JSON line per accepted message
to FILE: the envelope (mail_from, rcpt_tos), the authenticated user, and
the message as Python's own email parser reads it (subject and From
decoded from RFC 2047, the body decoded from its transfer encoding), plus
the raw text. With --user, AUTH (PLAIN or LOGIN) is required and checked,
over plain TCP (loopback only). Prints "ready" once listening; stops on
SIGTERM or SIGINT.

Run it with /usr/bin/python3: a `python3` earlier on PATH (pyenv) may lack
aiosmtpd.
"""

import argparse
import asyncio
import email
import email.policy
import json
import logging
import signal
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=('plain',))
        self.count += 1
        rec = {
            'n': self.count,
            'mail_from': envelope.mail_from,
            'rcpt_tos': list(envelope.rcpt_tos),
            'auth_user': (session.auth_data.login.decode()
                          if isinstance(session.auth_data, LoginPassword) else None),
            'subject': str(msg['subject']) if msg['subject'] is not None else None,
            'from': str(msg['from']) if msg['from'] is not None else None,
            'to': str(msg['to']) if msg['to'] is not None else None,
            'message_id': msg['message-id'],
            'date': msg['date'],
            'mime_version': msg['mime-version'],
            'content_type': msg['content-type'],
            'cte': msg['content-transfer-encoding'],
            'body': body.get_content() if body is not None else None,
            'raw': raw.decode('utf-8', 'replace'),
            'defects': [type(d).__name__ for d in msg.defects],
        }
        with open(self.out, 'a', encoding='utf-8') as f:
            f.write(json.dumps(rec) + '\n')
        return f'250 2.0.0 Ok: queued as sink-{self.count}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--user')
    ap.add_argument('--password')
    a = ap.parse_args()
    # AUTH without TLS is what we want here (loopback); no nagging.
    warnings.filterwarnings('ignore')
    logging.getLogger('mail.log').setLevel(logging.CRITICAL)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == a.user
              and auth_data.password.decode() == a.password)
        # handled=False: aiosmtpd answers 535 itself on a failure.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    handler = Sink(a.out)
    kwargs = {}
    if a.user:
        kwargs = dict(authenticator=authenticator, auth_required=True,
                      auth_require_tls=False)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname='sink.example.test', **kwargs),
        host='127.0.0.1', port=a.port))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print('ready', flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


if __name__ == '__main__':
    main()
