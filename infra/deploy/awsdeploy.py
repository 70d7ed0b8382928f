"""Deploy sessionlab to an AWS account, keep its session secret, tear it down.

The steps behind `make deploy`, `make publish`, `make delete`,
`make rotate-secret`, `make retire-old-keys`, `make rotate-origin-secret`
and `make check-artifacts` (docs/deploy.md), for the environment ENV names
in samconfig.toml. It uses boto3 and the SAM CLI from the Makefile's .venv,
prints every step before it runs it, and stops with a plain sentence when
something (credentials first) is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shlex
import struct
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = ROOT / "site"
BUILD_DIR = ROOT / ".aws-sam" / "build"
SAM = Path(sys.executable).with_name("sam")
SAMCONFIG = ROOT / "samconfig.toml"
TEMPLATE = ROOT / "template.yaml"

# AWS keeps this much of an account's Lambda concurrency unreserved in every
# region; a reservation that would leave less fails the deploy.
UNRESERVED_MINIMUM = 100

# The longest a cookie signed with an old key stays valid: the signed_session
# cookie's 31-day signature limit (internal/cookies); remember-me sessions
# last 30 days (SESSION_REMEMBER_TIMEOUT). Old keys may go after this.
LONGEST_SESSION = dt.timedelta(days=31)

# Content types as Go's net/http serves them locally (mime.TypeByExtension).
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "text/xml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}

# Pages, styles and scripts keep their names from one deploy to the next, so
# browsers revalidate them every time (a cheap 304 with the ETag), as the
# local runner tells them to; images and fonts may be kept for a day.
REVALIDATE = "no-cache"
KEEP_A_DAY = "public, max-age=86400"
TEXT_TYPES = {".html", ".css", ".js", ".mjs", ".json", ".webmanifest", ".txt", ".xml"}

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
# Stack states in which the stack serves and can be updated.
USABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}


class Stop(Exception):
    """A reason to stop, said in a sentence a person can act on."""


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


# ---- environments (samconfig.toml) -------------------------------------------------


@dataclass(frozen=True)
class Environment:
    """One environment of samconfig.toml: its stack and parameter overrides."""
    name: str
    stack: str
    overrides: dict[str, str] = field(default_factory=dict)


def parse_overrides(values) -> dict[str, str]:
    """KEY=VALUE pairs (a list, or one string as samconfig.toml writes them)."""
    if isinstance(values, str):
        values = shlex.split(values)
    out = {}
    for v in values or []:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise Stop(f"parameter override {v!r} is not KEY=VALUE")
        out[key] = value
    return out


def environment(name: str, path: Path = SAMCONFIG) -> Environment:
    """The environment called name in samconfig.toml (default: the [default] one)."""
    config = tomllib.loads(path.read_text())
    envs = sorted(k for k, v in config.items() if isinstance(v, dict))
    if name not in envs:
        raise Stop(f"ENV={name!r}: {path.name} has no such environment; it has {', '.join(envs)}")
    section = config[name]
    stack = (section.get("global", {}).get("parameters", {}).get("stack_name")
             or section.get("deploy", {}).get("parameters", {}).get("stack_name"))
    if not stack:
        raise Stop(f"ENV={name}: {path.name} names no stack_name for it")
    return Environment(name, stack, parse_overrides(section.get("deploy", {}).get("parameters", {}).get("parameter_overrides")))


def template_defaults(path: Path = TEMPLATE) -> dict[str, str]:
    """The template's parameter defaults, as strings."""
    import yaml  # PyYAML (pinned)

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    tpl = yaml.load(path.read_text(), Loader=Loader)
    return {k: str(v.get("Default", "")) for k, v in tpl.get("Parameters", {}).items()}


# ---- the site -----------------------------------------------------------------


@dataclass(frozen=True)
class SiteFile:
    key: str
    path: Path
    content_type: str
    cache_control: str


def site_files(site_dir: Path = SITE_DIR) -> list[SiteFile]:
    """Every file of site_dir to upload, with its S3 key and headers.

    Hidden files are skipped; a file whose type is not known stops the
    upload rather than reach browsers with a guessed Content-Type.
    """
    files, unknown = [], []
    for path in sorted(site_dir.rglob("*")):
        rel = path.relative_to(site_dir)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        ext = path.suffix.lower()
        if ext not in CONTENT_TYPES:
            unknown.append(str(rel))
            continue
        cache = REVALIDATE if ext in TEXT_TYPES else KEEP_A_DAY
        files.append(SiteFile(rel.as_posix(), path, CONTENT_TYPES[ext], cache))
    if unknown:
        raise Stop(f"no Content-Type known for {', '.join(unknown)}: add the extension to CONTENT_TYPES in {Path(__file__).name}")
    if not files:
        raise Stop(f"{site_dir} has no files to upload")
    return files


def upload_site(s3, bucket: str, files: list[SiteFile]) -> list[str]:
    """Puts files into bucket and deletes every other object; returns the deleted keys."""
    step(f"Upload {len(files)} files from site/ to s3://{bucket}/")
    for f in files:
        s3.put_object(Bucket=bucket, Key=f.key, Body=f.path.read_bytes(),
                      ContentType=f.content_type, CacheControl=f.cache_control)
        print(f"    {f.key}  ({f.content_type}; Cache-Control: {f.cache_control})")
    keep = {f.key for f in files}
    stale = [k for k in list_keys(s3, bucket) if k not in keep]
    if stale:
        step(f"Delete {len(stale)} objects no longer in site/: {', '.join(stale)}")
        delete_keys(s3, bucket, stale)
    return stale


def list_keys(s3, bucket: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def delete_keys(s3, bucket: str, keys: list[str]) -> None:
    for i in range(0, len(keys), 1000):
        batch = [{"Key": k} for k in keys[i:i + 1000]]
        out = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if out.get("Errors"):
            raise Stop(f"could not delete from s3://{bucket}: {out['Errors'][:3]}")


def empty_bucket(s3, bucket: str) -> int:
    """Deletes every object (and every version, should versioning be on)."""
    count = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for i in range(0, len(objs), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objs[i:i + 1000], "Quiet": True})
        count += len(objs)
    return count


def invalidate(cloudfront, distribution_id: str) -> str:
    step(f"Invalidate CloudFront distribution {distribution_id} (/*), so edges fetch the new files")
    out = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]},
                           "CallerReference": dt.datetime.now(dt.timezone.utc).strftime("sessionlab-%Y%m%dT%H%M%S.%fZ")})
    return out["Invalidation"]["Id"]


# ---- AWS session, stack ----------------------------------------------------------


@dataclass
class Target:
    session: object
    stack: str
    region: str
    profile: str | None
    account: str
    env: Environment | None = None

    def client(self, name: str):
        return self.session.client(name)

    def sam_args(self) -> list[str]:
        args = ["--stack-name", self.stack, "--region", self.region]
        if self.env and self.env.name != "default":
            args = ["--config-env", self.env.name] + args
        return args + (["--profile", self.profile] if self.profile else [])


NO_CREDENTIALS = (
    "no usable AWS credentials{why}. Configure them first, for example `aws configure`, "
    "`aws sso login --profile NAME` then AWS_PROFILE=NAME, or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY in the environment (docs/deploy.md, Before you start)."
)


def connect(stack: str, profile: str | None, region: str | None) -> Target:
    """Opens a boto3 session and proves the credentials work (sts:GetCallerIdentity)."""
    import boto3
    from botocore import exceptions as bx

    # botocore reads AWS_DEFAULT_REGION and profiles, not AWS_REGION; take both.
    region = region or os.environ.get("AWS_REGION") or None
    try:
        session = boto3.Session(profile_name=profile or None, region_name=region)
    except bx.ProfileNotFound as e:
        raise Stop(NO_CREDENTIALS.format(why=f" ({e})")) from None
    if not session.region_name:
        raise Stop("no AWS region set: set AWS_REGION (for example AWS_REGION=eu-west-1), or a region in your AWS profile")
    try:
        ident = session.client("sts").get_caller_identity()
    except (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError,
            bx.SSOError, bx.TokenRetrievalError, bx.ProfileNotFound) as e:
        raise Stop(NO_CREDENTIALS.format(why=f" ({e})")) from None
    except bx.ClientError as e:
        raise Stop(NO_CREDENTIALS.format(why=f": AWS refused them ({e.response['Error'].get('Code')})")) from None
    except bx.EndpointConnectionError as e:
        raise Stop(f"cannot reach AWS ({e}); check the network and the region {session.region_name!r}") from None
    step(f"AWS account {ident['Account']} as {ident['Arn']}, region {session.region_name}, stack {stack}")
    return Target(session, stack, session.region_name, profile, ident["Account"])


def describe(t: Target) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return t.client("cloudformation").describe_stacks(StackName=t.stack)["Stacks"][0]
    except ClientError as e:
        if "does not exist" in str(e):
            return None
        raise


def outputs(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def parameters(stack: dict) -> dict[str, str]:
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}


def require_stack(t: Target) -> dict:
    stack = describe(t)
    if stack is None:
        raise Stop(f"stack {t.stack} does not exist in {t.region}: run `make deploy` first")
    if stack["StackStatus"] not in USABLE:
        raise Stop(f"stack {t.stack} is {stack['StackStatus']}; see its events in the CloudFormation console")
    return stack


def update_parameters(t: Target, changes: dict[str, str], why: str) -> dict:
    """A stack update that changes only parameters: the same template and code."""
    cfn = t.client("cloudformation")
    stack = require_stack(t)
    params = [{"ParameterKey": k, "ParameterValue": changes[k]} if k in changes
              else {"ParameterKey": k, "UsePreviousValue": True} for k in parameters(stack)]
    step(f"Update stack {t.stack}: {', '.join(f'{k}={v}' for k, v in changes.items())} ({why}); same template, no rebuild")
    cfn.update_stack(StackName=t.stack, UsePreviousTemplate=True, Parameters=params, Capabilities=CAPABILITIES)
    wait(t, "stack_update_complete")
    return require_stack(t)


def wait(t: Target, waiter: str) -> None:
    from botocore.exceptions import WaiterError

    print("    waiting for CloudFormation ...", flush=True)
    try:
        t.client("cloudformation").get_waiter(waiter).wait(StackName=t.stack, WaiterConfig={"Delay": 5, "MaxAttempts": 720})
    except WaiterError as e:
        raise Stop(f"stack {t.stack} did not finish: {e}. {failure_reasons(t)}") from None


def failure_reasons(t: Target) -> str:
    events = t.client("cloudformation").describe_stack_events(StackName=t.stack)["StackEvents"][:30]
    reasons = [f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}" for e in events
               if e.get("ResourceStatus", "").endswith("FAILED") and e.get("ResourceStatusReason")]
    return "First failures: " + "; ".join(reasons[:3]) if reasons else "See the stack's events in the CloudFormation console."


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    step(shlex.join(str(c) for c in cmd))
    if subprocess.run(cmd, cwd=ROOT, env=env).returncode != 0:
        raise Stop(f"{Path(cmd[0]).name} {cmd[1]} failed (its output is above)")


# ---- commands ----------------------------------------------------------------------


def cmd_preflight(t: Target, _args) -> None:
    stack = describe(t)
    if stack is None:
        print(f"    stack {t.stack} does not exist yet: `make deploy` creates it")
    elif stack["StackStatus"] == "ROLLBACK_COMPLETE":
        raise Stop(f"stack {t.stack} is ROLLBACK_COMPLETE (its first deploy failed) and cannot be updated: "
                   f"`make delete` it, then deploy again")
    else:
        print(f"    stack {t.stack} is {stack['StackStatus']}")


def deploy_overrides(t: Target, params: list[str]) -> dict[str, str]:
    """The environment's parameter overrides with PARAMS on top (PARAMS wins).

    SAM would otherwise drop samconfig.toml's parameter_overrides as soon as
    any are given on the command line.
    """
    merged = dict(t.env.overrides) if t.env else {}
    merged.update(parse_overrides(params))
    return merged


def check_concurrency(t: Target, stack: dict | None, overrides: dict[str, str]) -> None:
    """Stops before a deploy that would reserve more Lambda concurrency than the account can.

    AWS refuses a reservation that leaves less than 100 of the account's
    concurrency unreserved; new accounts often have a quota of 10.
    """
    wanted = overrides.get("AuthReservedConcurrency")
    if wanted is None and stack is not None:
        wanted = parameters(stack).get("AuthReservedConcurrency")
    if wanted is None:
        wanted = template_defaults().get("AuthReservedConcurrency", "0")
    reserve = int(wanted or 0)
    if reserve == 0:
        return
    limit = t.client("lambda").get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    if reserve + UNRESERVED_MINIMUM > limit:
        raise Stop(f"this account's Lambda concurrency quota in {t.region} is {limit}, and reserving "
                   f"AuthReservedConcurrency={reserve} for AuthFunction needs at least {reserve + UNRESERVED_MINIMUM} "
                   f"(AWS keeps {UNRESERVED_MINIMUM} unreserved). Deploy with PARAMS=\"AuthReservedConcurrency=0\" "
                   f"(or ENV=dev), or ask for more in Service Quotas (AWS Lambda, Concurrent executions)")
    print(f"    Lambda concurrency quota {limit}: room to reserve {reserve} for AuthFunction")


def cmd_deploy(t: Target, args) -> None:
    """sam deploy (after the Makefile's sam build), SITE_ORIGIN, then the site."""
    cmd_preflight(t, args)
    if not (BUILD_DIR / "template.yaml").is_file():
        raise Stop("no .aws-sam/build/template.yaml: run `make sam-build` first (`make deploy` does)")
    overrides = deploy_overrides(t, args.param)
    check_concurrency(t, describe(t), overrides)
    deploy = [str(SAM), "deploy", *t.sam_args(), "--s3-prefix", t.stack]
    if args.no_confirm:
        deploy.append("--no-confirm-changeset")
    if overrides:
        deploy += ["--parameter-overrides", *(f"{k}={v}" for k, v in overrides.items())]
    run(deploy)
    stack = require_stack(t)
    stack = ensure_site_origin(t, stack)
    publish(t, stack)
    out = outputs(stack)
    print()
    print(f"Site:       {out['SiteUrl']}   (pages and /api/* on one origin; the API answers only through it)")
    print(f"Dashboard:  {out.get('DashboardUrl', '(none)')}")
    print(f"Logs:       CloudWatch Logs groups {out['FunctionLogGroup']} (functions), {out.get('ApiAccessLogGroup', '-')} (API access)")
    print(f"Secret:     {out['SessionSecretArn']}")


def ensure_site_origin(t: Target, stack: dict) -> dict:
    """Makes SITE_ORIGIN the distribution's URL once it is known (docs/deploy.md, One origin)."""
    url, current = outputs(stack)["SiteUrl"], parameters(stack).get("SiteOrigin", "")
    if current == url:
        return stack
    if current:
        print(f"    SiteOrigin is {current}, not {url}: leaving it as you set it")
        return stack
    return update_parameters(t, {"SiteOrigin": url}, "the functions trust the site's own origin")


def publish(t: Target, stack: dict) -> None:
    out = outputs(stack)
    upload_site(t.client("s3"), out["SiteBucketName"], site_files())
    inv = invalidate(t.client("cloudfront"), out["DistributionId"])
    print(f"    invalidation {inv} started; edges serve the new files within a minute or two")


def cmd_publish(t: Target, _args) -> None:
    publish(t, require_stack(t))


def cmd_delete(t: Target, args) -> None:
    stack = describe(t)
    if stack is None:
        step(f"Stack {t.stack} does not exist in {t.region}: nothing to delete")
        return
    out, params = outputs(stack), parameters(stack)
    print(f"    This deletes stack {t.stack} in {t.region} ({t.account}) and with it: the sessions and users")
    print("    tables and all their data, the site bucket and its files, the CloudFront distribution,")
    print("    the session secret, the functions and their logs.")
    confirm(args, t.stack)
    if params.get("DeletionProtection") == "true":
        if not args.unprotect:
            raise Stop("the tables have deletion protection on (DeletionProtection=true), so CloudFormation "
                       "would stop half-way. Run `make delete UNPROTECT=1` to turn it off and delete everything")
        update_parameters(t, {"DeletionProtection": "false"}, "lift the tables' deletion protection")
    bucket = out.get("SiteBucketName")
    if bucket:
        step(f"Empty s3://{bucket} (CloudFormation deletes only empty buckets)")
        try:
            print(f"    deleted {empty_bucket(t.client('s3'), bucket)} objects")
        except Exception as e:  # the bucket may be gone already after a failed delete
            if "NoSuchBucket" not in str(e):
                raise
    run([str(SAM), "delete", *t.sam_args(), "--s3-prefix", t.stack, "--no-prompts"])
    step(f"Deleted stack {t.stack}. SAM's own artifact bucket (stack aws-sam-cli-managed-default) stays for other SAM apps")


def cmd_sessions(t: Target, args) -> None:
    """cmd/sessionctl against the deployed sessions table (list or revoke one user's sessions)."""
    require_stack(t)
    detail = t.client("cloudformation").describe_stack_resource(
        StackName=t.stack, LogicalResourceId="SessionsTable")["StackResourceDetail"]
    table = detail["PhysicalResourceId"]
    step(f"Sessions table {table}")
    env = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"}
    env.update({"SESSIONS_TABLE": table, "AWS_REGION": t.region})
    if t.profile:
        env["AWS_PROFILE"] = t.profile
    run([os.environ.get("GO", "go"), "run", "./cmd/sessionctl", args.action, args.username], env)


def confirm(args, stack: str) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise Stop("not a terminal, so nobody can confirm: run again with YES=1 (make) or --yes")
    answer = input(f"    Type the stack name ({stack}) to go on: ").strip()
    if answer != stack:
        raise Stop("not confirmed; nothing was changed")


def split_keys(value: str) -> list[str]:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    bad = [i + 1 for i, k in enumerate(keys) if len(k) < 64 or any(c not in "0123456789abcdefABCDEF" for c in k)]
    if not keys or bad:
        raise Stop(f"the secret does not hold comma-separated hex keys of at least 64 digits (bad keys: {bad or 'none at all'})")
    return keys


def rotation_values(current: str, new_key: str) -> tuple[str, str]:
    """The two values a rotation writes: first the new key only verifies, then it signs.

    Phase 1 (old keys first, new key last) reaches every function before any
    cookie is signed with the new key; phase 2 puts the new key first.
    """
    old = split_keys(current)
    return ",".join(old + [new_key]), ",".join([new_key] + old)


def put_and_pin(t: Target, arn: str, value: str, why: str) -> None:
    sm = t.client("secretsmanager")
    step(f"Store a new version of the session secret ({why})")
    version = sm.put_secret_value(SecretId=arn, SecretString=value)["VersionId"]
    update_parameters(t, {"SessionSecretVersion": version}, "the functions read that version")


def read_secret(t: Target, stack: dict) -> tuple[str, dict]:
    """The secret's ARN and the version the functions use (pinned, or the current one)."""
    arn = outputs(stack)["SessionSecretArn"]
    version = parameters(stack).get("SessionSecretVersion", "")
    kwargs = {"VersionId": version} if version else {}
    return arn, t.client("secretsmanager").get_secret_value(SecretId=arn, **kwargs)


def cmd_rotate_secret(t: Target, args) -> None:
    arn, got = read_secret(t, require_stack(t))
    current = got["SecretString"]
    new_key = secrets.token_hex(32)
    verify_first, sign_first = rotation_values(current, new_key)
    n = len(split_keys(current))
    print(f"    The secret holds {n} key(s). A new 64-hex-digit key is added in two stack updates: first as a")
    print("    verifier only, then as the signing key, so no function ever meets a cookie signed with a key it")
    print(f"    does not know. Old keys keep verifying until `make retire-old-keys` (after {LONGEST_SESSION.days} days).")
    confirm(args, t.stack)
    put_and_pin(t, arn, verify_first, "phase 1 of 2: the new key verifies")
    put_and_pin(t, arn, sign_first, "phase 2 of 2: the new key signs")
    step(f"Rotated. Run `make retire-old-keys` on or after {(now() + LONGEST_SESSION).date()} to drop the old key(s)")


def cmd_retire_old_keys(t: Target, args) -> None:
    arn, got = read_secret(t, require_stack(t))
    keys = split_keys(got["SecretString"])
    if len(keys) == 1:
        step("The secret holds one key: nothing to retire")
        return
    age = now() - got["CreatedDate"]
    if age < LONGEST_SESSION and not args.force:
        raise Stop(f"the signing key is {age.days} days old; cookies signed with an old key may live "
                   f"{LONGEST_SESSION.days} days. Retire on or after {(got['CreatedDate'] + LONGEST_SESSION).date()} "
                   f"(or FORCE=1 to log those visitors out now)")
    print(f"    Keeps the signing key, drops {len(keys) - 1} old key(s): cookies signed with them stop working.")
    confirm(args, t.stack)
    put_and_pin(t, arn, keys[0], "the signing key alone")
    step("Retired the old key(s)")


def current_version(t: Target, arn: str) -> str:
    """The version ID that holds AWSCURRENT."""
    versions = t.client("secretsmanager").describe_secret(SecretId=arn)["VersionIdsToStages"]
    return next(v for v, stages in versions.items() if "AWSCURRENT" in stages)


def cmd_rotate_origin_secret(t: Target, args) -> None:
    """A new origin secret, in three parameter-only updates, refusing no request.

    1. the functions accept old and new while CloudFront still sends old;
    2. CloudFront sends new (CloudFormation waits until every edge has it),
       the functions still accept both;
    3. the functions accept new only.
    """
    stack = require_stack(t)
    arn = outputs(stack).get("OriginSecretArn")
    if not arn:
        raise Stop(f"stack {t.stack} has no OriginSecretArn output: deploy the current template first")
    old = parameters(stack).get("OriginSecretVersion") or current_version(t, arn)
    print("    CloudFront sends the origin secret in X-Origin-Verify and the functions require it. A new one")
    print("    replaces it in three stack updates (each waits for CloudFront's edges), so no request is refused.")
    confirm(args, t.stack)
    step("Store a new version of the origin secret")
    new = t.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=secrets.token_hex(32))["VersionId"]
    update_parameters(t, {"OriginSecretVersion": old, "OriginSecretAcceptedVersion": new},
                      "step 1 of 3: the functions accept both, CloudFront still sends the old one")
    update_parameters(t, {"OriginSecretVersion": new, "OriginSecretAcceptedVersion": old},
                      "step 2 of 3: CloudFront sends the new one")
    update_parameters(t, {"OriginSecretVersion": new, "OriginSecretAcceptedVersion": new},
                      "step 3 of 3: the old one is refused")
    step("Rotated the origin secret")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ---- artifacts --------------------------------------------------------------------

ELF_MACHINES = {"arm64": 183, "x86_64": 62}  # EM_AARCH64, EM_X86_64

# The most a function's bootstrap may weigh, in MiB (what Lambda's quotas call
# MB): a function without a database links no AWS SDK at all (issue 13;
# docs/benchmarks.md, "What each function links", says how to find what a
# function links when it grows).
BOOTSTRAP_LIMIT_MIB = {"CookiesFunction": 7}
BOOTSTRAP_DEFAULT_LIMIT_MIB = 10


def bootstrap_limit(name: str) -> int:
    """The most bytes the bootstrap of function name may have."""
    return BOOTSTRAP_LIMIT_MIB.get(name, BOOTSTRAP_DEFAULT_LIMIT_MIB) * 2**20


def check_bootstrap(path: Path, arch: str) -> str | None:
    """Why path is not a static linux/arch ELF executable, or None when it is."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return "not an ELF file"
    if data[4] != 2 or data[5] != 1:
        return "not a 64-bit little-endian ELF file"
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    if e_type != 2:
        return f"ELF type {e_type}, not an executable (ET_EXEC)"
    if e_machine != ELF_MACHINES[arch]:
        return f"ELF machine {e_machine}, not {arch} ({ELF_MACHINES[arch]})"
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
        if p_type in (2, 3):  # PT_DYNAMIC, PT_INTERP
            return "dynamically linked (needs a loader that provided.al2023 may not have)"
    if not os.access(path, os.X_OK):
        return "not executable"
    return None


def cmd_check_artifacts(args) -> None:
    """Every function of the built template has a bootstrap of the right kind and size."""
    import yaml  # PyYAML (pinned); SAM writes the built template as YAML

    built = BUILD_DIR / "template.yaml"
    if not built.is_file():
        raise Stop(f"{built.relative_to(ROOT)} is missing: run `make sam-build`")

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    tpl = yaml.load(built.read_text(), Loader=Loader)
    functions = sorted(k for k, r in tpl["Resources"].items() if r.get("Type") == "AWS::Serverless::Function")
    if not functions:
        raise Stop("the built template has no functions")
    problems = []
    for name in functions:
        path = BUILD_DIR / name / "bootstrap"
        why = check_bootstrap(path, args.arch) if path.is_file() else "missing"
        limit = bootstrap_limit(name)
        if not why and path.stat().st_size > limit:
            why = (f"{path.stat().st_size:,} bytes, over its limit of {limit // 2**20} MiB ({limit:,} bytes): "
                   "see what it links with go version -m, go list -deps and go tool nm -size (docs/benchmarks.md)")
        if why:
            problems.append(f"{path.relative_to(ROOT)}: {why}")
        else:
            print(f"    {path.relative_to(ROOT)}: static linux/{args.arch} executable, "
                  f"{path.stat().st_size:,} bytes (limit {limit // 2**20} MiB)")
    if problems:
        raise Stop("; ".join(problems))


# ---- main -------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="awsdeploy", description=__doc__.splitlines()[0])
    p.add_argument("--env", default=os.environ.get("ENV") or "default", help="an environment of samconfig.toml")
    p.add_argument("--stack", default=os.environ.get("STACK") or None, help="default: the environment's stack_name")
    p.add_argument("--profile", default=os.environ.get("AWS_PROFILE"))
    p.add_argument("--region", default=None, help="default: AWS_REGION or the profile's region")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("preflight", help="check credentials, region and the stack's state")
    d = sub.add_parser("deploy", help="sam deploy, SITE_ORIGIN, upload site/, invalidate")
    d.add_argument("--no-confirm", action="store_true", help="do not ask before executing the change set")
    d.add_argument("--param", nargs="*", default=[], metavar="KEY=VALUE", help="template parameter overrides")
    sub.add_parser("publish", help="upload site/ and invalidate CloudFront")
    x = sub.add_parser("delete", help="empty the bucket and delete the stack")
    x.add_argument("--unprotect", action="store_true", help="turn the tables' deletion protection off first")
    x.add_argument("--yes", action="store_true")
    r = sub.add_parser("rotate-secret", help="add a new signing key, keep the old ones verifying")
    r.add_argument("--yes", action="store_true")
    o = sub.add_parser("retire-old-keys", help="keep only the signing key")
    o.add_argument("--yes", action="store_true")
    o.add_argument("--force", action="store_true", help=f"even before {LONGEST_SESSION.days} days have passed")
    g = sub.add_parser("rotate-origin-secret", help="replace the secret CloudFront sends the API, refusing no request")
    g.add_argument("--yes", action="store_true")
    s = sub.add_parser("sessions", help="list or end one user's sessions in the deployed table (cmd/sessionctl)")
    s.add_argument("action", choices=["list", "revoke"])
    s.add_argument("username")
    c = sub.add_parser("check-artifacts", help="each built bootstrap is a static linux ELF of --arch")
    c.add_argument("--arch", choices=sorted(ELF_MACHINES), default="arm64")
    return p


COMMANDS = {
    "preflight": cmd_preflight,
    "deploy": cmd_deploy,
    "publish": cmd_publish,
    "delete": cmd_delete,
    "rotate-secret": cmd_rotate_secret,
    "retire-old-keys": cmd_retire_old_keys,
    "rotate-origin-secret": cmd_rotate_origin_secret,
    "sessions": cmd_sessions,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "check-artifacts":
            cmd_check_artifacts(args)
        else:
            env = environment(args.env)
            t = connect(args.stack or env.stack, args.profile, args.region)
            t.env = env
            COMMANDS[args.command](t, args)
    except Stop as e:
        print(f"awsdeploy {args.command}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"awsdeploy {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
