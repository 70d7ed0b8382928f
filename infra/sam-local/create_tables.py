"""Create the template's DynamoDB tables in a local emulator.

Usage: python create_tables.py TEMPLATE ENDPOINT

Each AWS::DynamoDB::Table resource becomes a table named by its TableName
property or, without one, by its logical ID: the name `make dev` and
`sam local` give it locally (env.json or the template's !Ref). Tables that
exist are left alone. Runs with the project's .venv (boto3 and SAM's YAML
reader, which understands !Ref and the other short forms).
"""

import sys

import boto3
from samcli.yamlhelper import parse_yaml_file

# Properties CreateTable takes as CloudFormation spells them.
CREATE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")


def tables(template):
    """Yield (name, CreateTable arguments, TTL attribute or None) per table."""
    for logical_id, res in sorted(template.get("Resources", {}).items()):
        if res.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = res.get("Properties", {})
        name = props.get("TableName")
        if not isinstance(name, str):
            name = logical_id
        args = {k: props[k] for k in CREATE_KEYS if k in props}
        args["TableName"] = name
        args["BillingMode"] = props.get("BillingMode", "PAY_PER_REQUEST")
        if args["BillingMode"] == "PROVISIONED":
            args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        ttl = props.get("TimeToLiveSpecification") or {}
        yield name, args, ttl.get("AttributeName") if ttl.get("Enabled") else None


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: create_tables.py TEMPLATE ENDPOINT")
    template, endpoint = parse_yaml_file(argv[1]), argv[2]
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    existing = set(client.list_tables()["TableNames"])
    for name, args, ttl_attr in tables(template):
        if name in existing:
            print(f"table {name}: exists")
            continue
        client.create_table(**args)
        if ttl_attr:
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attr}
            )
        print(f"table {name}: created")


if __name__ == "__main__":
    main(sys.argv)
