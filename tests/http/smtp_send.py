#!/usr/bin/python3
"""Sends one email over SMTP with Python's smtplib, for the Postfix test.

    /usr/bin/python3 tests/http/smtp_send.py < request.json

An SMTP client that owes nothing to Atrium or to the tests' JavaScript: the
message is built by Python's email package (Date, Message-ID, MIME headers
and transfer encoding are its own) and sent with smtplib one command at a
time, so each recipient's answer is seen. The request (JSON on stdin):

    {"host": "127.0.0.1", "port": 25, "mail_from": "ana@customer.test",
     "rcpt_to": ["support@example.test"],
     "headers": {"From": "...", "To": "...", "Subject": "...", ...},
     "body": "text"}

Prints one JSON object: {"message_id", "mail": [code, text],
"rcpt": {address: [code, text]}, "data": [code, text] or null (no recipient
accepted), "queue_id": Postfix's queue id from "250 2.0.0 Ok: queued as ID"
or null}. Exits 0 whatever the server answered (the test judges the codes);
non-zero only when the conversation itself broke.
"""

import email.message
import email.policy
import email.utils
import json
import re
import smtplib
import sys


def main():
    req = json.load(sys.stdin)
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    for name, value in req.get("headers", {}).items():
        msg[name] = value
    if "Date" not in msg:
        msg["Date"] = email.utils.formatdate(localtime=False)
    if "Message-ID" not in msg:
        msg["Message-ID"] = email.utils.make_msgid(domain="customer.test")
    msg.set_content(req.get("body", ""))
    out = {"message_id": msg["Message-ID"], "mail": None, "rcpt": {},
           "data": None, "queue_id": None}
    with smtplib.SMTP(req["host"], req["port"], timeout=60,
                      local_hostname="client.customer.test") as s:
        s.ehlo()
        code, text = s.mail(req["mail_from"])
        out["mail"] = [code, text.decode()]
        accepted = 0
        if code == 250:
            for rcpt in req["rcpt_to"]:
                code, text = s.rcpt(rcpt)
                out["rcpt"][rcpt] = [code, text.decode()]
                accepted += code in (250, 251)
        if accepted:
            try:
                code, text = s.data(msg.as_bytes())
            except smtplib.SMTPDataError as e:
                code, text = e.smtp_code, e.smtp_error
            out["data"] = [code, text.decode()]
            m = re.search(r"queued as ([0-9A-Za-z]+)", text.decode())
            out["queue_id"] = m.group(1) if m else None
        else:
            s.rset()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
