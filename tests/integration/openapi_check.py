#!/usr/bin/env python3
"""openapi_check.py - checks one HTTP response against daemon/openapi.json.

Usage:
  openapi_check.py DOC METHOD PATH STATUS CONTENT_TYPE BODY_FILE [LOG]
      PATH is the request path as sent (query allowed); it is matched to
      the document's path templates ({id} matches one segment, a literal
      path wins over a template). The status must be documented for that
      operation, the Content-Type must be the documented media type, and a
      JSON body must validate against the response's schema (JSON Schema
      2020-12, components resolved inside the document). Appends
      "METHOD TEMPLATE STATUS" to LOG when given.
  openapi_check.py DOC --coverage LOG
      Every operation of the document must appear in LOG with a 2xx and
      with a 4xx or 5xx status.
Exit 0 when it holds; 1 with one line naming what does not.
"""
import json
import re
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit("openapi_check.py: python3-jsonschema (>= 4, for JSON Schema 2020-12) is needed; "
             "scripts/install-deps.sh installs it")


def die(msg):
    print("openapi_check: " + msg, file=sys.stderr)
    sys.exit(1)


def resolve(doc, node):
    """Follows a local $ref of a Response Object (#/components/...)."""
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            die(f"only local references are supported, not {ref}")
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def match_path(doc, path):
    path = path.split("?", 1)[0]
    if path in doc["paths"]:
        return path
    for tmpl in doc["paths"]:
        rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(tmpl)) + "$"
        if "{" in tmpl and re.match(rx, path):
            return tmpl
    die(f"{path}: no path of the document matches it")


def check(doc, method, path, status, ctype, body_file, log):
    tmpl = match_path(doc, path)
    op = doc["paths"][tmpl].get(method.lower())
    if op is None:
        # A method the path does not have is answered 405 with the error
        # body: the document lists only the methods that work.
        if status == "405":
            op = {"responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}}}
        else:
            die(f"{method} {tmpl}: not in the document (answered {status})")
    resp = op["responses"].get(status) or op["responses"].get(status[0] + "XX") or op["responses"].get("default")
    if resp is None:
        die(f"{method} {path} ({tmpl}): status {status} is not documented (documented: "
            f"{', '.join(sorted(op['responses']))})")
    resp = resolve(doc, resp)
    content = resp.get("content", {})
    media = (ctype or "").split(";", 1)[0].strip().lower()
    if media not in content:
        die(f"{method} {path} {status}: Content-Type {ctype or '(none)'} is not documented ({', '.join(content)})")
    if media == "application/json":
        try:
            body = json.load(open(body_file, encoding="utf-8"))
        except ValueError as e:
            die(f"{method} {path} {status}: the body is not JSON: {e}")
        schema = dict(content[media].get("schema", {}))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["components"] = doc["components"]  # so #/components/... resolves here
        v = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(v.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            die(f"{method} {path} {status}: the body does not match the document at {where}: {e.message} "
                f"({len(errors)} errors)")
    if log:
        with open(log, "a") as f:
            f.write(f"{method.upper()} {tmpl} {status}\n")


def coverage(doc, log):
    seen = {}
    for line in open(log):
        m, t, s = line.split()
        seen.setdefault((m, t), set()).add(s)
    missing = []
    for tmpl, item in doc["paths"].items():
        for m in item:
            if m not in ("get", "post", "put", "patch", "delete"):
                continue
            got = seen.get((m.upper(), tmpl), set())
            if not any(s.startswith("2") for s in got):
                missing.append(f"{m.upper()} {tmpl} (no 2xx)")
            if not any(s[0] in "45" for s in got):
                missing.append(f"{m.upper()} {tmpl} (no error)")
    if missing:
        die("not exercised: " + "; ".join(missing))


def main(argv):
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    if len(argv) == 4 and argv[2] == "--coverage":
        coverage(json.load(open(argv[1])), argv[3])
    elif len(argv) in (7, 8):
        check(json.load(open(argv[1])), argv[2], argv[3], argv[4], argv[5], argv[6], argv[7] if len(argv) == 8 else None)
    else:
        die("usage: openapi_check.py DOC METHOD PATH STATUS CONTENT_TYPE BODY_FILE [LOG] | DOC --coverage LOG")


if __name__ == "__main__":
    main(sys.argv)
