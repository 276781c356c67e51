#!/usr/bin/env python3
"""Build step: docs/openapi.yaml -> build/gen/openapi.json (served by the binary)."""
import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as f:
    doc = yaml.safe_load(f)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(doc, f, separators=(",", ":"), sort_keys=False)
