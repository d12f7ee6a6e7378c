"""The rule subcommands of `kgw`, driven through the real entry point."""
import pathlib
import shutil

from kgw_controller.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
API = ROOT / "examples" / "rules" / "api.kgw"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_clean_file(capsys):
    code, out, err = run(capsys, "check", API)
    assert code == 0 and out.strip().endswith("api.kgw: ok") and err == ""


def test_check_reports_every_error_and_exits_1(capsys, tmp_path):
    bad = tmp_path / "bad.kgw"
    bad.write_text('on request {\n  set header x = lowr(path)\n  set status = 1\n}\n')
    code, out, err = run(capsys, "check", bad)
    assert code == 1
    assert f"{bad}:2:18: error: unknown function `lowr`" in err
    assert f"{bad}:3:3: error: `set status` is only allowed in `on response`" in err
    assert "hint: did you mean `lower`?" in err


def test_check_strict_fails_on_warnings(capsys, tmp_path):
    f = tmp_path / "w.kgw"
    f.write_text("on request {\n  stop\n  stop\n}\n")
    assert run(capsys, "check", f)[0] == 0
    code, _, err = run(capsys, "check", "--strict", f)
    assert code == 1 and "warning: unreachable statement" in err


def test_missing_file_is_a_clear_error(capsys, tmp_path):
    code, out, err = run(capsys, "check", tmp_path / "nope.kgw")
    assert code == 2 and "kgw: error: cannot read" in err and "Traceback" not in err


def test_compile_is_deterministic_and_strip_is_smaller(capsys, tmp_path):
    a, b, c = tmp_path / "a.kgwb", tmp_path / "b.kgwb", tmp_path / "c.kgwb"
    assert run(capsys, "compile", API, "-o", a)[0] == 0
    assert run(capsys, "compile", API, "-o", b)[0] == 0
    assert run(capsys, "compile", API, "-o", c, "--strip")[0] == 0
    assert a.read_bytes() == b.read_bytes()
    assert len(c.read_bytes()) < len(a.read_bytes())


def test_compile_defaults_to_kgwb_beside_the_source(capsys, tmp_path):
    src = tmp_path / "x.kgw"
    shutil.copy(API, src)
    assert run(capsys, "compile", src)[0] == 0
    assert (tmp_path / "x.kgwb").exists()


def test_disasm_lists_constants_regexes_and_lines(capsys, tmp_path):
    out_file = tmp_path / "api.kgwb"
    run(capsys, "compile", API, "-o", out_file)
    code, out, _ = run(capsys, "disasm", out_file)
    assert code == 0
    assert '"x-served-for"' in out and "re0  groups: 1 (rest)" in out
    assert "MATCH_CAP    re0 -> v0.." in out and "; line 8" in out


def test_disasm_refuses_corrupt_bytecode(capsys, tmp_path):
    out_file = tmp_path / "api.kgwb"
    run(capsys, "compile", API, "-o", out_file)
    data = bytearray(out_file.read_bytes())
    data[20] ^= 0xFF
    out_file.write_bytes(bytes(data))
    code, _, err = run(capsys, "disasm", out_file)
    assert code == 1 and "invalid bytecode: checksum mismatch" in err


def test_run_prints_request_response_and_trace(capsys):
    code, out, _ = run(capsys, "run", API, "--path", "/v1/x?a=1&debug=2", "-H", "x-user-id:  Alice ",
                       "-H", "authorization: t", "--response-status", "503", "-R", "server: envoy")
    assert code == 0
    assert "GET /v2/x?a=1&lang=en" in out
    assert "x-user: alice" in out and "retry-after: 5" in out and "server: envoy" not in out
    assert "response line 22" in out


def test_run_shows_a_local_response(capsys):
    code, out, _ = run(capsys, "run", API, "--path", "/v1/x")
    assert code == 0 and "local response (from the request phase)" in out and "missing credentials" in out


def test_run_reads_a_body_from_a_file(capsys, tmp_path):
    rules = tmp_path / "b.kgw"
    rules.write_text('on request {\n  set json "seen" = true\n}\n')
    body = tmp_path / "body.json"
    body.write_text('{"a": 1}')
    code, out, _ = run(capsys, "run", rules, "--method", "POST", "--body", f"@{body}",
                       "-H", "content-length: 8")
    assert code == 0 and '{"a":1,"seen":true}' in out and "content-length: 19" in out


def test_test_command_reports_and_exits(capsys, tmp_path):
    code, out, _ = run(capsys, "test", "--engine", "ref", ROOT / "examples" / "rules")
    assert code == 0 and out.strip().splitlines()[-1].endswith("passed, 0 failed")
    shutil.copy(API, tmp_path / "api.kgw")
    (tmp_path / "api.test.yaml").write_text(
        "cases:\n  - name: wrong\n    request: {path: /v1/x, headers: {authorization: t}}\n"
        "    expect:\n      request: {path: /v1/x}\n")
    code, out, _ = run(capsys, "test", "--engine", "ref", tmp_path / "api.kgw")
    assert code == 1
    assert 'request.path: expected "/v1/x", got "/v2/x?lang=en"' in out
    assert out.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_test_command_needs_case_files(capsys, tmp_path):
    code, _, err = run(capsys, "test", "--engine", "ref", tmp_path)
    assert code == 2 and "no rules files with a .test.yaml" in err
