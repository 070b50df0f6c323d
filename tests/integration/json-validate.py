#!/usr/bin/python3
"""json-validate.py SCHEMA COMMAND FILE: FILE must hold exactly one JSON
document, valid against drill's output schema, printed by COMMAND.

Prints one line per schema error (the JSON path and the reason); exit 0
valid, 1 invalid, 2 unreadable or not JSON."""
import json
import sys

import jsonschema


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    schema_path, command, path = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: not one JSON document: {e}")
        return 2
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc),
                    key=lambda e: list(e.absolute_path))
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        print(f"{path}: {where}: {e.message[:300]}")
    if doc.get("command") != command:
        print(f"{path}: command is {doc.get('command')!r}, expected {command!r}")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
