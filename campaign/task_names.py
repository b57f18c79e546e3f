"""The names of the Celery tasks, each written once.

worker/tasks.py registers a task under each name, the beat schedule
(campaign/taskqueue.py) and campaign.dispatch send them by name. A name is
what a queued message carries, so changing one strands the messages already
queued under it: add a new name rather than rename.
"""

from __future__ import annotations

# Mail (campaign/mail).
MAIL_PUMP = "mail.pump"
MAIL_SWEEP_OUTBOX = "mail.sweep_outbox"
MAIL_READ_BOUNCES = "mail.read_bounces"
# Counts (campaign/counts).
FOLD_SIGNATURES = "counts.fold_signatures"
RECONCILE_COUNTS = "counts.reconcile"
# The public ledger (campaign/ledger).
PUBLISH_LEDGER_HEADS = "ledger.publish_heads"
# Letters to officials (campaign/targets).
SEND_LETTER_DIGESTS = "letters.send_digests"
ASK_FOR_REPLIES = "letters.ask_for_replies"
# Exports (campaign/exports).
RUN_EXPORT = "exports.run"
EXPIRE_EXPORTS = "exports.expire"
FAIL_ABANDONED_EXPORTS = "exports.fail_abandoned"
# Updates to signers (campaign/updates).
QUEUE_UPDATE = "updates.queue_update"
RESUME_UPDATES = "updates.resume_sending"
# Campaigns (campaign/builder).
TELL_OF_ENDED_CAMPAIGNS = "campaigns.tell_of_ended"
# Signing (campaign/signing).
REMIND_UNCONFIRMED = "signing.remind_unconfirmed"
# Retention (campaign/privacy).
APPLY_RETENTION = "privacy.retention"
# Moderation (campaign/moderation).
REPORT_TRENDING = "moderation.trending_report"
COUNT_INVALIDATION = "moderation.count_invalidation"
RUN_INVALIDATION = "moderation.run_invalidation"
# Webhooks (campaign/webhooks).
WEBHOOKS_PUMP = "webhooks.pump"
WEBHOOKS_SWEEP = "webhooks.sweep"
