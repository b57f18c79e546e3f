"""supporters' personal data sealed at rest; people known by a keyed hash; outbox without clear text

Existing rows are sealed in place with the platform's key (made here if
there is none yet: its private half under KEYS_PATH, like `campaign keys init`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op
from nacl.public import PrivateKey, PublicKey

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sealing_keys',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=True),
        sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_sealing_keys_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sealing_keys')),
    )
    with op.batch_alter_table('sealing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealing_keys_organization_id'), ['organization_id'], unique=False)

    consent_texts = op.create_table(
        'consent_texts',
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.Column('consent', sa.String(length=32), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('version', 'consent', name=op.f('pk_consent_texts')),
    )
    # The words the consents of every signature so far were given under.
    op.bulk_insert(consent_texts, [
        {'version': '2026-11', 'consent': 'email_opt_in', 'text': 'Email me updates about this campaign'},
        {'version': '2026-11', 'consent': 'comment_public',
         'text': 'Show my comment on this page, with my first name'},
        {'version': '2026-11', 'consent': 'reply_to_opt_in',
         'text': 'Let the officials reply to me: show them my email address'},
    ])
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_stopped_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('masked_name', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('message_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('removal_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))

    _seal_existing_rows()

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.alter_column('email_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint('uq_people_canonical_email', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_people_email_index'), ['email_index'])
        batch_op.drop_column('email')
        batch_op.drop_column('canonical_email')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.alter_column('person_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('client_hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.drop_constraint('fk_signatures_person_id_people', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_signatures_person_id_people'), 'people',
                                    ['person_id'], ['id'], ondelete='SET NULL')
        for column in ('given_name', 'family_name', 'postal_code', 'comment', 'message'):
            batch_op.drop_column(column)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        for column in ('recipient', 'subject', 'body', 'reply_to', 'sender_name', 'list_unsubscribe'):
            batch_op.drop_column(column)
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('subject')
        batch_op.drop_column('body')


def _seal_existing_rows():
    """Seal what earlier versions kept in clear (nothing to do on a new database)."""
    bind = op.get_bind()
    has_rows = any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
        for table in ('people', 'outbox')
    )
    if not has_rows:
        return
    from flask import current_app

    from campaign.privacy import keys, vault
    from campaign.signing.emails import canonical_email
    from campaign.signing.models import PERSONAL_FIELDS
    from campaign.signing.service import masked_name, message_hash

    index_file = keys.keys_path() / keys.INDEX_FILE
    if not current_app.config.get('BLIND_INDEX_KEY') and not index_file.exists():
        keys.write_secret(index_file, secrets.token_hex(32))
    keys.forget()
    key_id, public = _platform_key(bind, keys)

    for person_id, email in bind.execute(sa.text("SELECT id, email FROM people")).all():
        bind.execute(sa.text("UPDATE people SET email_index = :index WHERE id = :id"),
                     {"index": vault.blind_index(canonical_email(email), purpose="email"), "id": person_id})
    rows = bind.execute(sa.text(
        "SELECT s.id, p.email, s.given_name, s.family_name, s.postal_code, s.comment, s.message"
        " FROM signatures s JOIN people p ON p.id = s.person_id"
    )).all()
    for row in rows:
        values = dict(zip(PERSONAL_FIELDS, [value or "" for value in row[1:]]))
        bind.execute(
            sa.text("UPDATE signatures SET sealed = :sealed, masked_name = :masked, message_hash = :hash"
                    " WHERE id = :id"),
            {
                "sealed": vault.seal_to([values[name] for name in PERSONAL_FIELDS], purpose="signature",
                                        key_id=key_id, public=public),
                "masked": masked_name(values["given_name"], values["family_name"]),
                "hash": message_hash(values["message"]),
                "id": row[0],
            },
        )
    bind.execute(sa.text(
        "UPDATE letters SET message_hash = (SELECT message_hash FROM signatures WHERE signatures.id = letters.signature_id)"
        " WHERE message_hash IS NOT NULL"
    ))
    owed = bind.execute(sa.text(
        "SELECT id, recipient, subject, body, sender_name, reply_to, list_unsubscribe FROM outbox"
        " WHERE status IN ('pending', 'sending')"
    )).all()
    for row in owed:
        values = [value or "" for value in row[1:]]
        bind.execute(sa.text("UPDATE outbox SET sealed = :sealed WHERE id = :id"), {
            "sealed": vault.seal_to(values, purpose="outbox", key_id=key_id, public=public), "id": row[0]})


def _platform_key(bind, keys):
    """The platform's current key, made here (private half under KEYS_PATH) if there is none."""
    existing = bind.execute(sa.text(
        "SELECT id, public_key FROM sealing_keys WHERE organization_id IS NULL AND retired_at IS NULL"
    )).first()
    if existing is not None:
        return existing[0], PublicKey(bytes(existing[1]))
    key_id = "k" + secrets.token_hex(6)
    private = PrivateKey.generate()
    keys.write_secret(keys.keys_path() / f"{key_id}.key", bytes(private).hex())
    bind.execute(
        sa.text("INSERT INTO sealing_keys (id, public_key, created_at) VALUES (:id, :public, CURRENT_TIMESTAMP)"),
        {"id": key_id, "public": bytes(private.public_key)},
    )
    return key_id, private.public_key


def downgrade():
    raise NotImplementedError("Sealed data cannot be unsealed by a migration: restore a backup instead.")
