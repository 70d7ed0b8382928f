"""Tests of awsdeploy against moto's in-process AWS: no account, no network.

Run with `make deploy-test`. What they cannot show: SAM's own deploy and
delete (`run` is replaced by a recorder) and CloudFront's real behaviour.
"""

import json
import struct
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

import awsdeploy as ad

REGION = "eu-west-1"
KEY_A = "a" * 64
KEY_B = "b" * 64

# A stand-in for the deployed stack: the parameters and outputs awsdeploy reads.
FAKE_STACK = {
    "Parameters": {
        "SiteOrigin": {"Type": "String", "Default": ""},
        "SessionSecretVersion": {"Type": "String", "Default": ""},
        "DeletionProtection": {"Type": "String", "Default": "true"},
        "SecretArn": {"Type": "String"},
        "OriginArn": {"Type": "String"},
        "DistributionId": {"Type": "String"},
        "OriginSecretVersion": {"Type": "String", "Default": ""},
        "OriginSecretAcceptedVersion": {"Type": "String", "Default": ""},
        "AuthReservedConcurrency": {"Type": "String", "Default": "50"},
    },
    "Resources": {
        "SiteBucket": {"Type": "AWS::S3::Bucket"},
        "SessionsTable": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
    },
    "Outputs": {
        "SiteUrl": {"Value": "https://d111111abcdef8.cloudfront.net"},
        "DashboardUrl": {"Value": "https://eu-west-1.console.aws.amazon.com/cloudwatch/home#dashboards/dashboard/sessionlab-eu-west-1"},
        "ApiAccessLogGroup": {"Value": "/sessionlab/api"},
        "OriginSecretArn": {"Value": {"Ref": "OriginArn"}},
        "SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
        "DistributionId": {"Value": {"Ref": "DistributionId"}},
        "SessionSecretArn": {"Value": {"Ref": "SecretArn"}},
        "FunctionLogGroup": {"Value": "/sessionlab/functions"},
    },
}


@pytest.fixture
def aws(monkeypatch):
    for k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def stack(aws):
    """A deployed stand-in stack, its secret holding KEY_A, and a distribution."""
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="s", SecretString=KEY_A)
    origin = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="o", SecretString=KEY_B)
    dist = boto3.client("cloudfront", region_name=REGION).create_distribution(DistributionConfig={
        "CallerReference": "t", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "o.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https"},
    })["Distribution"]
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="sessionlab", TemplateBody=json.dumps(FAKE_STACK),
        # Every parameter given: moto (unlike CloudFormation) keeps no defaults for UsePreviousValue.
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in {
            "SecretArn": secret["ARN"], "OriginArn": origin["ARN"], "DistributionId": dist["Id"],
            "SiteOrigin": "", "SessionSecretVersion": "", "DeletionProtection": "true",
            "OriginSecretVersion": "", "OriginSecretAcceptedVersion": "", "AuthReservedConcurrency": "50"}.items()])
    t = ad.connect("sessionlab", None, None)
    t.env = ad.environment("default")
    # moto has no lambda:GetAccountSettings; a quota of 1000, as most accounts have.
    lam = LambdaSettings(1000)
    real = t.client
    t.client = lambda name: lam if name == "lambda" else real(name)
    return t


class LambdaSettings:
    """lambda:GetAccountSettings, with a given concurrency quota."""

    def __init__(self, limit):
        self.limit, self.calls = limit, 0

    def get_account_settings(self):
        self.calls += 1
        return {"AccountLimit": {"ConcurrentExecutions": self.limit, "UnreservedConcurrentExecutions": self.limit}}


@pytest.fixture
def ran(monkeypatch):
    """Records the commands awsdeploy would run (sam deploy, sam delete)."""
    calls = []
    monkeypatch.setattr(ad, "run", lambda cmd, env=None: calls.append([str(c) for c in cmd]))
    return calls


def args(**kw):
    base = {"yes": True, "unprotect": False, "force": False, "no_confirm": False, "param": []}
    return type("Args", (), {**base, **kw})()


def test_site_files_types_and_cache(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "css" / "site.css").write_text("body{}")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path / ".DS_Store").write_text("x")
    got = {f.key: (f.content_type, f.cache_control) for f in ad.site_files(tmp_path)}
    assert got == {
        "index.html": ("text/html; charset=utf-8", "no-cache"),
        "css/site.css": ("text/css; charset=utf-8", "no-cache"),
        "favicon.svg": ("image/svg+xml", "public, max-age=86400"),
    }


def test_site_files_refuses_unknown_type(tmp_path):
    (tmp_path / "notes.docx").write_text("x")
    with pytest.raises(ad.Stop, match="notes.docx"):
        ad.site_files(tmp_path)


def test_every_file_of_the_real_site_has_a_type():
    files = ad.site_files()
    assert any(f.key == "index.html" for f in files)


def test_upload_replaces_the_site_and_invalidates(aws, tmp_path):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="site", Key="old.html", Body=b"gone")
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "js" / "api.js").write_text("export {}")
    stale = ad.upload_site(s3, "site", ad.site_files(tmp_path))
    assert stale == ["old.html"]
    assert sorted(ad.list_keys(s3, "site")) == ["index.html", "js/api.js"]
    head = s3.head_object(Bucket="site", Key="js/api.js")
    assert head["ContentType"] == "text/javascript; charset=utf-8"
    assert head["CacheControl"] == "no-cache"
    assert s3.get_object(Bucket="site", Key="index.html")["Body"].read() == b"<p>hi</p>"


def test_connect_without_credentials_says_so(monkeypatch, tmp_path, capsys):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
              "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", REGION)
    assert ad.main(["preflight"]) == 1
    err = capsys.readouterr().err
    assert "no usable AWS credentials" in err and "aws configure" in err


def test_connect_without_region_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for k in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    assert ad.main(["delete"]) == 1
    assert "no AWS region set" in capsys.readouterr().err


def test_deploy_sets_site_origin_once_then_publishes(stack, ran, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(ad, "BUILD_DIR", tmp_path)
    (tmp_path / "template.yaml").write_text("{}")
    ad.cmd_deploy(stack, args(no_confirm=True, param=["LogRetentionDays=7"]))
    assert ran[0][1:2] == ["deploy"] and "--no-confirm-changeset" in ran[0]
    assert ran[0][-2:] == ["--parameter-overrides", "LogRetentionDays=7"]
    assert "--config-env" not in ran[0], "the default environment is SAM's own default"
    printed = capsys.readouterr().out
    assert "https://d111111abcdef8.cloudfront.net" in printed and "dashboards/dashboard" in printed
    assert "execute-api" not in printed, "the API answers only through CloudFront: never show its own URL"
    after = ad.describe(stack)
    assert ad.parameters(after)["SiteOrigin"] == "https://d111111abcdef8.cloudfront.net"
    assert ad.parameters(after)["DeletionProtection"] == "true"  # the others are kept
    bucket = ad.outputs(after)["SiteBucketName"]
    assert "index.html" in ad.list_keys(boto3.client("s3", region_name=REGION), bucket)
    cf = boto3.client("cloudfront", region_name=REGION)
    invs = cf.list_invalidations(DistributionId=ad.outputs(after)["DistributionId"])["InvalidationList"]
    assert invs["Quantity"] == 1
    # A second deploy finds SiteOrigin right and leaves the stack alone.
    monkeypatch.setattr(ad, "update_parameters", lambda *a: pytest.fail(f"stack updated again: {a[1]}"))
    ad.cmd_deploy(stack, args())
    assert len(ran) == 2


def test_delete_refuses_protected_tables(stack, ran):
    with pytest.raises(ad.Stop, match="UNPROTECT=1"):
        ad.cmd_delete(stack, args())
    assert ran == []


def test_delete_unprotects_empties_and_deletes(stack, ran):
    bucket = ad.outputs(ad.describe(stack))["SiteBucketName"]
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key="index.html", Body=b"x")
    ad.cmd_delete(stack, args(unprotect=True))
    assert ad.parameters(ad.describe(stack))["DeletionProtection"] == "false"
    assert ad.list_keys(boto3.client("s3", region_name=REGION), bucket) == []
    assert ran == [[str(ad.SAM), "delete", "--stack-name", "sessionlab", "--region", REGION,
                    "--s3-prefix", "sessionlab", "--no-prompts"]]


def test_delete_of_a_missing_stack_is_a_no_op(aws, ran):
    ad.cmd_delete(ad.connect("nothing-here", None, None), args())
    assert ran == []


def test_rotation_values_verify_first_then_sign():
    assert ad.rotation_values(f"{KEY_A},{KEY_B}", "c" * 64) == (f"{KEY_A},{KEY_B},{'c' * 64}", f"{'c' * 64},{KEY_A},{KEY_B}")
    with pytest.raises(ad.Stop):
        ad.rotation_values("not-hex", "c" * 64)


def test_rotate_then_retire(stack, monkeypatch):
    sm = boto3.client("secretsmanager", region_name=REGION)
    ad.cmd_rotate_secret(stack, args())
    st = ad.describe(stack)
    pinned = ad.parameters(st)["SessionSecretVersion"]
    value = sm.get_secret_value(SecretId=ad.outputs(st)["SessionSecretArn"], VersionId=pinned)["SecretString"]
    new, old = value.split(",")
    assert old == KEY_A and len(new) == 64 and int(new, 16) >= 0
    with pytest.raises(ad.Stop, match="0 days old"):
        ad.cmd_retire_old_keys(stack, args())
    monkeypatch.setattr(ad, "now", lambda: ad.dt.datetime.now(ad.dt.timezone.utc) + ad.LONGEST_SESSION)
    ad.cmd_retire_old_keys(stack, args())
    st = ad.describe(stack)
    assert ad.parameters(st)["SessionSecretVersion"] != pinned
    assert sm.get_secret_value(SecretId=ad.outputs(st)["SessionSecretArn"],
                               VersionId=ad.parameters(st)["SessionSecretVersion"])["SecretString"] == new


def elf(machine, e_type=2, interp=False):
    """A minimal 64-bit little-endian ELF header with one program header."""
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, 0, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    return header + struct.pack("<IIQQQQQQ", 3 if interp else 1, 0, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("data,arch,why", [
    (elf(183), "arm64", None),
    (elf(62), "x86_64", None),
    (elf(62), "arm64", "not arm64"),
    (elf(183, interp=True), "arm64", "dynamically linked"),
    (elf(183, e_type=3), "arm64", "not an executable"),
    (b"#!/bin/sh\n", "arm64", "not an ELF file"),
])
def test_check_bootstrap(tmp_path, data, arch, why):
    p = tmp_path / "bootstrap"
    p.write_bytes(data)
    p.chmod(0o755)
    got = ad.check_bootstrap(p, arch)
    assert (got is None) if why is None else (why in got), got


def built(tmp_path, monkeypatch, sizes):
    """A .aws-sam/build with one arm64 bootstrap of each size in sizes (function name -> bytes)."""
    build = tmp_path / ".aws-sam" / "build"
    build.mkdir(parents=True)
    resources = {name: {"Type": "AWS::Serverless::Function"} for name in sizes}
    (build / "template.yaml").write_text(yaml.safe_dump({"Resources": resources}))
    for name, size in sizes.items():
        (build / name).mkdir()
        data = elf(183)
        (build / name / "bootstrap").write_bytes(data + bytes(size - len(data)))
        (build / name / "bootstrap").chmod(0o755)
    monkeypatch.setattr(ad, "ROOT", tmp_path)
    monkeypatch.setattr(ad, "BUILD_DIR", build)


MIB = 2**20


@pytest.mark.parametrize("sizes,why", [
    ({"CookiesFunction": 7 * MIB, "CartFunction": 10 * MIB, "VisitsFunction": 10 * MIB}, None),
    ({"CookiesFunction": 7 * MIB + 1, "CartFunction": 10 * MIB}, "CookiesFunction/bootstrap: 7,340,033 bytes, over its limit of 7 MiB"),
    ({"CookiesFunction": 6 * MIB, "AuthFunction": 10 * MIB + 1}, "AuthFunction/bootstrap: 10,485,761 bytes, over its limit of 10 MiB"),
])
def test_check_artifacts_limits_the_bootstrap_sizes(tmp_path, monkeypatch, capsys, sizes, why):
    built(tmp_path, monkeypatch, sizes)
    if why is None:
        ad.cmd_check_artifacts(args(arch="arm64"))
        assert capsys.readouterr().out.count("(limit ") == len(sizes)
        return
    with pytest.raises(ad.Stop, match=why):
        ad.cmd_check_artifacts(args(arch="arm64"))


def test_sessions_runs_sessionctl_on_the_deployed_table(stack, monkeypatch):
    calls = []
    monkeypatch.setenv("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000")
    monkeypatch.setattr(ad, "run", lambda cmd, env=None: calls.append((cmd, env)))
    ad.cmd_sessions(stack, args(action="revoke", username="alice"))
    table = boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]
    assert len(table) == 1
    (cmd, env), = calls
    assert cmd[1:] == ["run", "./cmd/sessionctl", "revoke", "alice"]
    assert env["SESSIONS_TABLE"] == table[0] and env["AWS_REGION"] == REGION
    assert "DYNAMODB_ENDPOINT" not in env, "a local endpoint must not redirect a command meant for AWS"


def test_sessions_needs_the_stack(aws, ran):
    with pytest.raises(ad.Stop, match="make deploy"):
        ad.cmd_sessions(ad.connect("nothing-here", None, None), args(action="list", username="alice"))
    assert ran == []


# ---- environments ------------------------------------------------------------------


def test_environments_of_samconfig():
    default, dev, prod = (ad.environment(n) for n in ("default", "dev", "prod"))
    assert (default.stack, default.overrides) == ("sessionlab", {})
    assert dev.stack == "sessionlab-dev" and dev.overrides["DeploymentType"] == "AllAtOnce"
    assert prod.stack == "sessionlab-prod" and prod.overrides["DeploymentType"].startswith("Canary")
    assert prod.overrides["DeletionProtection"] == "true"
    assert len({default.stack, dev.stack, prod.stack}) == 3, "each environment is a stack of its own"
    with pytest.raises(ad.Stop, match="has no such environment; it has default, dev, prod"):
        ad.environment("staging")


def test_every_override_is_an_allowed_template_parameter():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    params = yaml.load(ad.TEMPLATE.read_text(), Loader=Loader)["Parameters"]
    for name in ("dev", "prod"):
        for key, value in ad.environment(name).overrides.items():
            assert key in params, f"{name}: {key} is no parameter of template.yaml"
            allowed = params[key].get("AllowedValues")
            if allowed:
                assert value in [str(v) for v in allowed], f"{name}: {key}={value} is not one of {allowed}"
    assert ad.template_defaults()["AuthReservedConcurrency"] == "50"


def test_parse_overrides():
    assert ad.parse_overrides('A=1 B="two words" C=') == {"A": "1", "B": "two words", "C": ""}
    assert ad.parse_overrides(["A=1", "A=2"]) == {"A": "2"}
    with pytest.raises(ad.Stop, match="not KEY=VALUE"):
        ad.parse_overrides(["A"])


def test_deploy_merges_the_environment_with_params(stack, ran, monkeypatch, tmp_path):
    monkeypatch.setattr(ad, "BUILD_DIR", tmp_path)
    (tmp_path / "template.yaml").write_text("{}")
    stack.env = ad.environment("dev")
    ad.cmd_deploy(stack, args(param=["LogRetentionDays=30", "AlarmEmail=ops@example.org"]))
    cmd = ran[0]
    assert cmd[2:4] == ["--config-env", "dev"]
    got = ad.parse_overrides(cmd[cmd.index("--parameter-overrides") + 1:])
    assert got == {"DeploymentType": "AllAtOnce", "AuthReservedConcurrency": "0", "DeletionProtection": "false",
                   "LogRetentionDays": "30", "AlarmEmail": "ops@example.org"}


@pytest.mark.parametrize("limit,overrides,previous,stops", [
    (1000, {}, "50", False),
    (149, {}, "50", True),                                  # the stack's previous value counts
    (150, {}, "50", False),
    (10, {"AuthReservedConcurrency": "0"}, "50", False),    # no reservation: no question asked
    (10, {"AuthReservedConcurrency": "50"}, "0", True),
    (10, {}, None, True),                                   # a new stack: the template's default, 50
])
def test_check_concurrency(stack, limit, overrides, previous, stops):
    lam = LambdaSettings(limit)
    stack.client = lambda name: lam
    st = None if previous is None else {"Parameters": [{"ParameterKey": "AuthReservedConcurrency", "ParameterValue": previous}]}
    if stops:
        with pytest.raises(ad.Stop, match=f"quota in {REGION} is {limit}"):
            ad.check_concurrency(stack, st, overrides)
    else:
        ad.check_concurrency(stack, st, overrides)
    if overrides.get("AuthReservedConcurrency") == "0":
        assert lam.calls == 0


def test_deploy_stops_before_sam_when_the_quota_is_too_small(stack, ran, monkeypatch, tmp_path):
    monkeypatch.setattr(ad, "BUILD_DIR", tmp_path)
    (tmp_path / "template.yaml").write_text("{}")
    lam = LambdaSettings(10)
    stack.client = lambda name, real=stack.client: lam if name == "lambda" else real(name)
    with pytest.raises(ad.Stop, match="AuthReservedConcurrency=0"):
        ad.cmd_deploy(stack, args())
    assert ran == []


# ---- the origin secret -----------------------------------------------------------


def test_rotate_origin_secret_never_refuses_a_request(stack, monkeypatch):
    """Each step's stack update reaches CloudFront and the functions at
    different moments, so the value CloudFront sends before or after a step
    must be accepted by the functions before and after it."""
    sm = boto3.client("secretsmanager", region_name=REGION)
    arn = ad.outputs(ad.describe(stack))["OriginSecretArn"]
    first = ad.current_version(stack, arn)
    states = [("", "")]
    real = ad.update_parameters

    def record(t, changes, why):
        states.append((changes["OriginSecretVersion"], changes["OriginSecretAcceptedVersion"]))
        return real(t, changes, why)

    monkeypatch.setattr(ad, "update_parameters", record)
    ad.cmd_rotate_origin_secret(stack, args())
    new = ad.current_version(stack, arn)
    assert new != first and len(states) == 4
    resolve = lambda v: v or first  # an empty version is the one current before the rotation
    for (send0, acc0), (send1, acc1) in zip(states, states[1:]):
        accepted0, accepted1 = {resolve(send0), resolve(acc0)}, {resolve(send1), resolve(acc1)}
        for sent in (resolve(send0), resolve(send1)):
            assert sent in accepted0 and sent in accepted1, (states, sent)
    assert states[-1] == (new, new), "at the end only the new secret is accepted"
    value = sm.get_secret_value(SecretId=arn, VersionId=new)["SecretString"]
    assert len(value) == 64 and int(value, 16) >= 0 and value != KEY_B
    st = ad.parameters(ad.describe(stack))
    assert (st["OriginSecretVersion"], st["OriginSecretAcceptedVersion"]) == (new, new)


def test_rotate_origin_secret_needs_the_output(stack, monkeypatch):
    monkeypatch.setattr(ad, "outputs", lambda st: {})
    with pytest.raises(ad.Stop, match="OriginSecretArn"):
        ad.cmd_rotate_origin_secret(stack, args())
