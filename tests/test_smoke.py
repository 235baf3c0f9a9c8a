"""Tests that the package imports and the CLI answers."""

from bprr_opt.cli import main


def test_cli_version(capsys):
    """Tests that ``bprr --version`` prints the package version."""
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "bprr-opt" in capsys.readouterr().out
