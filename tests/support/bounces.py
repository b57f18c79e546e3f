"""What the tests of late bounces share: reports as receiving servers write them, built with the
standard library (delivery status notifications, RFC 3464; spam complaints, ARF, RFC 5965), and a
letter the worker sent to an official."""

from __future__ import annotations

from email.message import EmailMessage, Message
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from sqlalchemy import select

from campaign.campaigns.models import CampaignKind
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.targets import service as targets
from campaign.targets.models import LetterCampaign, LetterTarget, Official, Targeting
from tests.support.letters import BODY, SUBJECT
from tests.support.signers import add_signature
from tests.support.waiting import wait_until

OFFICIAL = "ca-on@example.org"


def fields(**values: str) -> Message:
    """One block of report fields (Final_Recipient: Final-Recipient)."""
    block = Message()
    for name, value in values.items():
        block[name.replace("_", "-")] = value
    return block


def dsn(to: str, recipient: str, *, message_id: str, action: str = "failed", status: str = "5.1.1") -> bytes:
    """A delivery status notification (RFC 3464) as a receiving MTA writes it, delivered to `to`."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@mx.example.net"
    report["To"] = to
    report["Delivered-To"] = to
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.attach(MIMEText("I'm sorry to have to inform you that your message could not be delivered."))
    status_part = Message()
    status_part["Content-Type"] = "message/delivery-status"
    per_recipient = fields(
        Final_Recipient=f"rfc822; {recipient}",
        Action=action,
        Status=status,
        Diagnostic_Code=f"smtp; 550 {status} No such user",
    )
    status_part.set_payload([fields(Reporting_MTA="dns; mx.example.net"), per_recipient])
    report.attach(status_part)
    report.attach(
        MIMEText(f"Message-ID: {message_id}\nTo: {recipient}\nSubject: A letter\n", "rfc822-headers")
    )
    return report.as_bytes()


def complaint(return_path: str, recipient: str, *, message_id: str) -> bytes:
    """A spam complaint (ARF, RFC 5965) from a receiver's feedback loop, quoting the message."""
    report = MIMEMultipart("report", report_type="feedback-report")
    report["From"] = "fbl@isp.example.net"
    report["To"] = "abuse-desk@example.org"
    report["Subject"] = "Email abuse report"
    report.attach(MIMEText("This is an email abuse report for a message received from you."))
    feedback = Message()
    feedback["Content-Type"] = "message/feedback-report"
    feedback.set_payload(
        [fields(Feedback_Type="abuse", User_Agent="Isp-FBL/1.0", Version="1", Original_Rcpt_To=recipient)]
    )
    report.attach(feedback)
    original = EmailMessage()
    original["Return-Path"] = f"<{return_path}>"
    original["To"] = recipient
    original["Message-ID"] = message_id
    original["Subject"] = "Please confirm your signature"
    original.set_content("Please confirm.")
    report.attach(MIMEMessage(original))
    return report.as_bytes()


def letter_campaign(db: Any, make_campaign: Any, organization_id: int | None = None) -> tuple[Any, Any]:
    """An open letter campaign written to one official."""
    campaign = make_campaign(slug="letters", kind=CampaignKind.LETTER, organization_id=organization_id)
    official = Official(
        name="Morgan Ontario", title="MPP", body="", country="CA", region="CA-ON", email=OFFICIAL
    )
    db.session.add(official)
    db.session.flush()
    db.session.add(
        LetterCampaign(
            campaign_id=campaign.id, subject_template=SUBJECT, body_template=BODY, targeting=Targeting.FIXED
        )
    )
    db.session.add(LetterTarget(campaign_id=campaign.id, official_id=official.id))
    db.session.commit()
    return campaign, official


def sent(db: Any, kind: str) -> OutboxMessage:
    """The message of this kind, once the worker sent it."""

    def find() -> OutboxMessage | None:
        db.session.expire_all()
        row = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalar()
        return row if row is not None and row.status == OutboxStatus.SENT else None

    return wait_until(find)


def a_letter_sent(db: Any, make_campaign: Any, mailbox: Any, organization_id: int | None = None) -> Any:
    """A signer's letter, sent to the official by the worker: the campaign, the official, its message."""
    campaign, official = letter_campaign(db, make_campaign, organization_id)
    signature = add_signature(db, campaign.id, "writer@example.org", message="Please act.")
    targets.write_letters(signature.id)
    db.session.commit()
    mailbox.wait_for(OFFICIAL)
    return campaign, official, sent(db, "letter")


def is_bad(db: Any, official: Any) -> bool:
    """Tell whether the official's address is marked bad now."""
    db.session.expire_all()
    return db.session.get_one(Official, official.id).is_paused
