"""Back up and restore the platform: the PostgreSQL database, the keys that open sealed data, the files.

Run through `scripts/backup` and `scripts/restore` (docs/OPERATIONS.md). This
file needs only Python 3.11+ and the PostgreSQL client programs, not the
platform's virtualenv, so an operator can run it on a docker-compose host as
well as on a machine with a checkout. Each external program can be replaced by
a command prefix in the environment (PG_DUMP, PG_RESTORE, PSQL, CAMPAIGN),
e.g. PG_DUMP="docker compose exec -T postgres pg_dump": every program reads
its input from stdin and writes to stdout, so it may run in a container.

A backup is one dated folder:
- database.dump: `pg_dump --format=custom` of DATABASE_URL;
- files.tar: the instance folder (campaign images, the disposable-domain
  list), without what is transient or secret there (exports, mail kept on
  disk, the SQLite files of the embedded default, the keys, lock files);
- keys.tar: the private sealing keys and the blind-index key (KEYS_PATH, and
  BLIND_INDEX_KEY / SEALING_PRIVATE_KEYS when they come from the
  environment), or, with --keys-to DIR, the same tar written apart into DIR;
- manifest.json: versions, the migration the database is at, and the size
  and sha256 of each part.
Whoever holds both the dump and the keys can read every supporter's data:
they must never be stored together unencrypted.

A restore refuses a database that is not empty (unless --force), a part
whose sha256 differs from the manifest's, and a key file that would replace a
different one; then restores the dump, the keys and the files, runs
`campaign db upgrade`, and checks that every key the database names is held.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files.tar"
KEYS = "keys.tar"
INDEX_FILE = "index.key"
# Top-level names in the instance folder that a backup leaves out, and why:
# exports are personal data kept a day and remade on request; mail/ is the
# embedded default's mail kept on disk (personal data in clear); the SQLite
# database and broker belong to the embedded default, which this does not
# back up; secret_key and keys/ are secrets (keys go to the keys part);
# the rest is rebuilt by the processes that use it.
EXCLUDED_NAMES = (
    "exports",
    "mail",
    "keys",
    "secret_key",
    "beat.lock",
    "celerybeat-schedule*",
    "campaign.sqlite*",
    "broker.sqlite*",
)
# Half-written files (an image or an export chunk being written), anywhere.
EXCLUDED_SUFFIX = ".part"
CHUNK = 1 << 20


class Refused(Exception):
    """The operation was refused before anything was changed; the message says why."""


class Failed(Exception):
    """An external program failed; the message says which and what it printed."""


# ---------------------------------------------------------------- common


def now_stamp() -> str:
    """The current UTC time as a folder-friendly stamp (20260101T030000Z)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def command(variable: str, default: str) -> list[str]:
    """The command line of an external program: the environment's prefix, or its default name."""
    configured = os.environ.get(variable, "").strip()
    return shlex.split(configured) if configured else [default]


def campaign_command() -> list[str]:
    """The `campaign` command: CAMPAIGN, else the one beside this Python (a venv), else on PATH."""
    configured = os.environ.get("CAMPAIGN", "").strip()
    if configured:
        return shlex.split(configured)
    beside = Path(sys.executable).parent / "campaign"
    return [str(beside)] if beside.exists() else ["campaign"]


def require_programs(*commands: list[str]) -> None:
    """Refuse to start when a program is missing, rather than fail halfway."""
    for line in commands:
        if shutil.which(line[0]) is None:
            raise Refused(
                f"{line[0]} not found: install it or point its variable at it (docs/OPERATIONS.md)."
            )


def run(
    args: Sequence[str],
    *,
    what: str,
    env: dict[str, str] | None = None,
    stdin: Path | None = None,
    stdout: Path | None = None,
) -> str:
    """Run a program (stdin and stdout optionally files); its output, or Failed with what it said."""
    with contextlib.ExitStack() as files:
        source = files.enter_context(stdin.open("rb")) if stdin else subprocess.DEVNULL
        target = files.enter_context(stdout.open("wb")) if stdout else subprocess.PIPE
        done = subprocess.run(  # noqa: S603 - the operator's own programs, arguments as a list
            list(args), stdin=source, stdout=target, stderr=subprocess.PIPE, env=env, check=False
        )
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip()
        raise Failed(f"{what} failed (exit {done.returncode}): {said}")
    return "" if stdout else done.stdout.decode(errors="replace")


@dataclass(frozen=True)
class Database:
    """A PostgreSQL URL as libpq takes it, with the password kept out of the command line."""

    url: str
    password: str | None

    @classmethod
    def parse(cls, url: str) -> Database:
        """Split the password off a postgresql:// URL (SQLAlchemy's +driver suffix dropped)."""
        scheme, separator, rest = url.partition("://")
        if not separator or scheme.split("+")[0] not in ("postgresql", "postgres"):
            raise Refused(
                "DATABASE_URL must be a postgresql:// URL: the embedded default's SQLite file is not"
                " backed up by this script (copy the instance folder while `make run` is stopped)."
            )
        netloc, slash, path = rest.partition("/")
        userinfo, at, hosts = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        netloc = f"{user}@{hosts}" if at else hosts
        return cls(f"postgresql://{netloc}{slash}{path}", unquote(password) if colon else None)

    def env(self) -> dict[str, str]:
        """The environment for libpq programs: the password in PGPASSWORD, never in `ps`."""
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env


def instance_folder() -> Path:
    """INSTANCE_PATH, or the checkout's instance folder (as campaign/config.py)."""
    return Path(os.environ.get("INSTANCE_PATH") or ROOT / "instance")


def keys_folder(instance: Path) -> Path:
    """KEYS_PATH, or keys/ in the instance folder (as campaign/privacy/keys.py)."""
    return Path(os.environ["KEYS_PATH"]) if os.environ.get("KEYS_PATH") else instance / "keys"


def read_env_file(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of a docker-compose .env file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


# ---------------------------------------------------------------- backup


def is_excluded(relative: Path, keys: Path, source: Path) -> bool:
    """Tell whether a path under the instance folder stays out of the files part."""
    if relative.name.endswith(EXCLUDED_SUFFIX):
        return True
    if len(relative.parts) == 1 and any(relative.match(pattern) for pattern in EXCLUDED_NAMES):
        return True
    return (source / relative).resolve() == keys.resolve()


def write_files_part(source: Path, keys: Path, target: Path) -> int:
    """Tar the instance folder into target, leaving out what is transient or secret; return the entries."""
    entries = 0

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        nonlocal entries
        relative = Path(info.name)
        if info.name != "." and is_excluded(relative, keys, source):
            return None
        entries += 1
        return info

    with tarfile.open(target, "w") as archive:
        if source.is_dir():
            archive.add(source, arcname=".", filter=keep)
    return entries


def key_material(folder: Path, env: dict[str, str]) -> dict[str, bytes]:
    """Every key file to back up, by name: the keys folder, then the keys given in the environment."""
    found: dict[str, bytes] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file():
                found[path.name] = path.read_bytes()
    # What the running services use wins over a file: BLIND_INDEX_KEY is read before index.key.
    if env.get("BLIND_INDEX_KEY"):
        found[INDEX_FILE] = env["BLIND_INDEX_KEY"].strip().encode() + b"\n"
    for item in (env.get("SEALING_PRIVATE_KEYS") or "").split(","):
        key_id, _, value = item.strip().partition(":")
        if key_id and value:
            found.setdefault(f"{key_id}.key", value.encode() + b"\n")
    return found


def write_keys_part(material: dict[str, bytes], folder: Path, target: Path) -> None:
    """Tar the key files into target, each readable by its owner only: the keys folder's owner, so
    that a restore as root gives them back to the user the services run as."""
    owner = folder.stat() if folder.is_dir() else None
    made_at = int(datetime.now(UTC).timestamp())
    with tarfile.open(target, "w") as archive:
        for name, data in [(".", None), *material.items()]:
            info = tarfile.TarInfo(name)
            info.mtime = made_at
            if owner is not None:
                info.uid, info.gid = owner.st_uid, owner.st_gid
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o700
                archive.addfile(info)
            else:
                info.size, info.mode = len(data), 0o600
                archive.addfile(info, io.BytesIO(data))


def dump_facts(dump: Path) -> tuple[list[str], str | None]:
    """The migration heads recorded in a dump (its alembic_version rows) and its server's version."""
    restore = command("PG_RESTORE", "pg_restore")
    data = run(
        [*restore, "--data-only", "--table=alembic_version", "--file=-"], what="pg_restore", stdin=dump
    )
    heads: list[str] = []
    inside = False
    for line in data.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            inside = True
        elif inside and line == "\\.":
            inside = False
        elif inside and line:
            heads.append(line)
    listing = run([*restore, "--list"], what="pg_restore --list", stdin=dump)
    server = next(
        (
            line.split(":", 1)[1].strip()
            for line in listing.splitlines()
            if "Dumped from database version" in line
        ),
        None,
    )
    return sorted(heads), server


def software_versions() -> dict[str, str | None]:
    """The versions a restore should be run with: the platform's, its commit, Python, pg_dump."""
    version = None
    with contextlib.suppress(Exception):
        import tomllib

        version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    commit = None
    if (ROOT / ".git").exists() and shutil.which("git"):
        with contextlib.suppress(Failed):
            commit = run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], what="git").strip() or None
    pg_dump = run([*command("PG_DUMP", "pg_dump"), "--version"], what="pg_dump --version").strip()
    return {"campaign": version, "commit": commit, "python": platform.python_version(), "pg_dump": pg_dump}


def backup(args: argparse.Namespace) -> Path:
    """Write a backup folder (and the keys apart, if asked); return the folder."""
    env = {**os.environ, **(read_env_file(args.env_file) if args.env_file else {})}
    database = Database.parse(args.database_url or env.get("DATABASE_URL") or "")
    instance = args.files_from or instance_folder()
    keys = args.keys_from or keys_folder(instance)
    require_programs(command("PG_DUMP", "pg_dump"), command("PG_RESTORE", "pg_restore"))
    material = key_material(keys, env)
    if not any(name.endswith(".key") and name != INDEX_FILE for name in material):
        raise Refused(
            f"No private sealing keys in {keys} (nor SEALING_PRIVATE_KEYS): without them a backup"
            " cannot be read. Point KEYS_PATH or --keys-from at the keys folder."
        )
    if INDEX_FILE not in material:
        raise Refused(f"No blind-index key ({keys / INDEX_FILE} or BLIND_INDEX_KEY, or --env-file .env).")

    name = f"campaign-backup-{now_stamp()}"
    args.to.mkdir(parents=True, exist_ok=True)
    final: Path = args.to / name
    if final.exists():
        raise Refused(f"{final} exists already.")
    # Written under a hidden name and renamed at the end: a backup that stopped halfway never looks whole.
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=args.to))
    work.chmod(0o700)
    try:
        dump = work / DUMP
        print(f"Dumping {database.url} ...", flush=True)
        run(
            [
                *command("PG_DUMP", "pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                database.url,
            ],
            what="pg_dump",
            env=database.env(),
            stdout=dump,
        )
        heads, server = dump_facts(dump)
        print(f"Copying the files of {instance} ...", flush=True)
        entries = write_files_part(instance, keys, work / FILES)
        if args.keys_to:
            args.keys_to.mkdir(parents=True, exist_ok=True)
            keys_target = args.keys_to / f"{name}.keys.tar"
        else:
            keys_target = work / KEYS
        old_umask = os.umask(0o077)
        try:
            write_keys_part(material, keys, keys_target)
        finally:
            os.umask(old_umask)
        manifest = {
            "format": FORMAT,
            "name": name,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": {**software_versions(), "database_server": server},
            "migration_head": heads,
            "database": database.url,
            "parts": {
                "database": part(dump, DUMP),
                "files": {**part(work / FILES, FILES), "entries": entries, "excluded": list(EXCLUDED_NAMES)},
                "keys": {
                    **part(keys_target, keys_target.name),
                    "stored": "apart" if args.keys_to else "beside",
                    "key_ids": sorted(n[:-4] for n in material if n.endswith(".key") and n != INDEX_FILE),
                },
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        for path in work.iterdir():
            path.chmod(0o600)
        work.rename(final)
        if not args.keys_to:
            keys_target = final / KEYS
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report_backup(final, manifest, keys_target)
    return final


def part(path: Path, name: str) -> dict[str, Any]:
    """A part's entry in the manifest: its file name, size and sha256."""
    return {"file": name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def report_backup(folder: Path, manifest: dict[str, Any], keys_target: Path) -> None:
    """Say what was written, and warn where the keys are."""
    print(f"Backup written to {folder}")
    print(f"  migration head: {', '.join(manifest['migration_head']) or 'none'}")
    print(
        f"  sha256 of {MANIFEST}: {sha256_of(folder / MANIFEST)}"
        " (keep a note of it elsewhere: it tells a swapped backup)"
    )
    if keys_target.parent == folder:
        print(
            f"WARNING: {keys_target} holds the private keys that open every supporter's data, beside the"
            " database dump. Whoever has both can read everything: store the keys apart and encrypted"
            " (or use --keys-to DIR), never in the same place as the dump.",
            file=sys.stderr,
        )
    else:
        print(f"  keys written apart to {keys_target}: store them encrypted, away from the dump.")


# ---------------------------------------------------------------- restore


def load_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a backup folder; Refused if it is not one."""
    path = folder / MANIFEST
    if not path.is_file():
        raise Refused(f"{folder} is not a backup: it has no {MANIFEST}.")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if not isinstance(manifest.get("parts"), dict) or manifest.get("format") != FORMAT:
        raise Refused(f"{path} is of format {manifest.get('format')}; this script reads format {FORMAT}.")
    return manifest


def verify_parts(folder: Path, manifest: dict[str, Any], keys_file: Path | None) -> dict[str, Path]:
    """Each part's path, once its sha256 matches the manifest's; Refused on the first that does not."""
    parts: dict[str, dict[str, Any]] = manifest["parts"]
    found = {}
    for key, entry in parts.items():
        path = folder / str(entry["file"])
        if key == "keys" and keys_file is not None:
            path = keys_file
        elif key == "keys" and entry.get("stored") == "apart":
            raise Refused(
                f"The keys of this backup were written apart ({entry['file']}): name that file with --keys."
            )
        if not path.is_file():
            raise Refused(f"The {key} part {path} is missing.")
        actual = sha256_of(path)
        if actual != entry["sha256"]:
            raise Refused(
                f"The {key} part {path.name} does not match the manifest (sha256 {actual}, expected"
                f" {entry['sha256']}): it was changed or damaged since the backup. Nothing was restored."
            )
        found[key] = path
    return found


# Objects in the database's own schemas: tables, sequences, views, enum and domain types.
COUNT_OBJECTS = """
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
     + (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
"""


def psql(database: Database, sql: str) -> list[str]:
    """The rows (one string each) psql prints for a query on the database."""
    output = run(
        [*command("PSQL", "psql"), "--no-psqlrc", "--tuples-only", "--no-align", "--quiet", "-v",
         "ON_ERROR_STOP=1", "-d", database.url, "-c", sql],
        what="psql",
        env=database.env(),
    )  # fmt: skip
    return [line for line in output.splitlines() if line.strip()]


def check_target_database(database: Database, force: bool) -> bool:
    """Tell whether the target holds anything; Refused if it does and force was not given."""
    try:
        count = int(psql(database, COUNT_OBJECTS)[0])
    except Failed as error:
        raise Refused(
            f"Cannot reach the target database {database.url} ({error}). Create it first"
            " (e.g. `createdb -O campaign NAME`) and check DATABASE_URL."
        ) from None
    if count and not force:
        raise Refused(
            f"The target database {database.url} is not empty ({count} tables, sequences or types):"
            " restore into an empty database, or pass --force to replace what the backup holds."
        )
    return count > 0


def members(archive_path: Path) -> list[tarfile.TarInfo]:
    """The members of a tar part."""
    with tarfile.open(archive_path) as archive:
        return archive.getmembers()


def conflicts(archive_path: Path, target: Path) -> list[str]:
    """Files of the archive that exist in target with other content."""
    clashes = []
    with tarfile.open(archive_path) as archive:
        for member in archive.getmembers():
            existing = target / member.name
            if member.isfile() and existing.is_file():
                source = archive.extractfile(member)
                assert source is not None
                if hashlib.sha256(source.read()).hexdigest() != sha256_of(existing):
                    clashes.append(member.name)
    return clashes


def extract(archive_path: Path, target: Path) -> None:
    """Unpack a tar part into target (owners kept when run as root; nothing outside target)."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path) as archive:
        if hasattr(tarfile, "tar_filter"):
            archive.extractall(target, numeric_owner=True, filter="tar")
            return
        # Pythons older than 3.11.4 have no extraction filters: refuse what would land outside target.
        for member in archive.getmembers():
            path = Path(member.name)
            if path.is_absolute() or ".." in path.parts or member.issym() or member.islnk():
                raise Refused(
                    f"{archive_path.name} holds {member.name!r}, which would land outside {target}."
                )
        archive.extractall(target, numeric_owner=True)  # noqa: S202 - every member checked above


def restore(args: argparse.Namespace) -> int:
    """Restore a backup folder; return the exit code (0 restored and checked, 1 restored with problems)."""
    manifest = load_manifest(args.backup)
    database = Database.parse(args.database_url or os.environ.get("DATABASE_URL") or "")
    instance = args.files_to or instance_folder()
    keys = args.keys_to or keys_folder(instance)
    campaign = campaign_command()
    require_programs(command("PG_RESTORE", "pg_restore"), command("PSQL", "psql"), campaign)
    parts = verify_parts(args.backup, manifest, args.keys)
    print(f"The parts of {args.backup.name} match its manifest.", flush=True)
    replaced = check_target_database(database, args.force)
    key_clashes = conflicts(parts["keys"], keys)
    if key_clashes:
        raise Refused(
            f"{keys} holds other keys under the same names ({', '.join(key_clashes)}): a key is never"
            " overwritten. Move them away first (they may open data this backup does not hold)."
        )
    file_clashes = conflicts(parts["files"], instance)
    if file_clashes and not args.force:
        raise Refused(
            f"{instance} holds other files under the names in the backup ({', '.join(file_clashes[:5])}"
            f"{' ...' if len(file_clashes) > 5 else ''}): restore into an empty folder, or pass --force."
        )

    print(f"Restoring the database into {database.url} ...", flush=True)
    options = ["--clean", "--if-exists"] if replaced else []
    run(
        [*command("PG_RESTORE", "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", *options, "-d", database.url],
        what="pg_restore",
        env=database.env(),
        stdin=parts["database"],
    )  # fmt: skip
    print(f"Restoring the keys into {keys} ...", flush=True)
    old_umask = os.umask(0o077)
    try:
        extract(parts["keys"], keys)
    finally:
        os.umask(old_umask)
    keys.chmod(0o700)
    print(f"Restoring the files into {instance} ...", flush=True)
    extract(parts["files"], instance)

    env = {**os.environ, "DATABASE_URL": args.database_url or os.environ.get("DATABASE_URL", "")}
    env.update(KEYS_PATH=str(keys), INSTANCE_PATH=str(instance))
    print("Running `campaign db upgrade` ...", flush=True)
    try:
        run([*campaign, "db", "upgrade"], what="campaign db upgrade", env=env)
    except Failed as error:
        heads = ", ".join(manifest["migration_head"])
        print(
            f"restore: {error}\nThe backup's schema is at {heads}; if that migration is unknown to this"
            f" code, restore with the platform's version {manifest['versions']}.",
            file=sys.stderr,
        )
        return 1
    problems = check_restored(database, keys, env, campaign)
    for problem in problems:
        print(f"FAIL  {problem}", file=sys.stderr)
    if problems:
        return 1
    print(
        f"Restored {args.backup.name}: the database,"
        f" {len(members(parts['keys'])) - 1} key files and the files."
    )
    return 0


def check_restored(database: Database, keys: Path, env: dict[str, str], campaign: list[str]) -> list[str]:
    """What stops the restored platform from working: keys the database names but nobody holds, and
    what `campaign doctor` finds wrong with the database, migrations, keys or disk."""
    problems = []
    named = psql(database, "SELECT id FROM sealing_keys ORDER BY created_at")
    missing = [key_id for key_id in named if not (keys / f"{key_id}.key").is_file()]
    if missing:
        problems.append(
            f"keys: the database names keys whose private half is not in {keys} ({', '.join(missing)}):"
            " data sealed to them cannot be opened."
        )
    if not (keys / INDEX_FILE).is_file() and not env.get("BLIND_INDEX_KEY"):
        problems.append(f"keys: no blind-index key in {keys}: repeat signers would not be recognised.")
    done = subprocess.run(  # noqa: S603 - the operator's campaign command
        [*campaign, "doctor", "--role", "worker"], env=env, capture_output=True, text=True, check=False
    )
    print("campaign doctor (configuration, broker and SMTP are this host's to set before starting):")
    print(done.stdout, end="")
    # Configuration, broker and SMTP are the new host's to set; these four say the restore itself is wrong.
    for line in done.stdout.splitlines():
        fields = line.split(maxsplit=2)
        if len(fields) == 3 and fields[0] == "FAIL" and fields[1] in ("database", "migrations", "keys"):
            problems.append(f"{fields[1]}: {fields[2]}")
    if done.returncode not in (0, 1):
        problems.append(f"campaign doctor did not run: {done.stderr.strip()}")
    return problems


# ---------------------------------------------------------------- command line


def parser() -> argparse.ArgumentParser:
    """The command line of `scripts/backup` and `scripts/restore`."""
    top = argparse.ArgumentParser(prog="backups", description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    make = commands.add_parser(
        "backup",
        prog="scripts/backup",
        help="write a backup folder",
        description="Write a dated backup folder.",
    )
    make.add_argument(
        "--to", type=Path, default=Path("backups"), help="folder to write into (default: ./backups)"
    )
    make.add_argument(
        "--keys-to",
        type=Path,
        help="write the keys part into this folder instead of beside the dump (recommended)",
    )
    make.add_argument("--database-url", help="the database (default: DATABASE_URL)")
    make.add_argument("--files-from", type=Path, help="the instance folder (default: INSTANCE_PATH)")
    make.add_argument("--keys-from", type=Path, help="the keys folder (default: KEYS_PATH)")
    make.add_argument(
        "--env-file",
        type=Path,
        help="a docker-compose .env to read BLIND_INDEX_KEY and SEALING_PRIVATE_KEYS from",
    )

    back = commands.add_parser(
        "restore",
        prog="scripts/restore",
        help="restore a backup folder",
        description="Restore a backup folder.",
    )
    back.add_argument("backup", type=Path, help="the backup folder (campaign-backup-...)")
    back.add_argument("--keys", type=Path, help="the keys part, when it was written apart (--keys-to)")
    back.add_argument("--database-url", help="the target database, empty (default: DATABASE_URL)")
    back.add_argument("--keys-to", type=Path, help="the keys folder to restore into (default: KEYS_PATH)")
    back.add_argument(
        "--files-to", type=Path, help="the instance folder to restore into (default: INSTANCE_PATH)"
    )
    back.add_argument(
        "--force",
        action="store_true",
        help="restore into a database that is not empty (its objects are dropped) and over existing files",
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run `backup` or `restore`; exit 2 when refused or failed before the restore began."""
    args = parser().parse_args(argv)
    try:
        if args.command == "backup":
            backup(args)
            return 0
        return restore(args)
    except Refused as error:
        print(f"{args.command}: refused: {error}", file=sys.stderr)
        return 2
    except Failed as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
