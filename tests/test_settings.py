"""settings.toml is validated with messages that name the bad key; secrets are refused."""
from pathlib import Path

import pytest

from cpi_intake.settings import SettingsError, load_settings

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_settings_load():
    s = load_settings(REPO / "settings.toml")
    assert s.service.current_form_version == "v3"
    assert [m.name for m in s.mailboxes] == ["examples"]
    assert s.resolve(s.mailboxes[0].path) == REPO / "examples" / "inbox"


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, '[parsing]\nworkers = 3\n')
    monkeypatch.setenv("CPI_INTAKE_SETTINGS", str(path))
    assert load_settings().parsing.workers == 3


@pytest.mark.parametrize("text,key", [
    ('[parsing]\nworkers = 0\n', "parsing.workers"),
    ('[parsing]\nwall_secs = 5\n', "parsing.wall_secs"),
    ('[service]\ncurrent_form_version = "v9"\n', "service.current_form_version"),
    ('[[mailboxes]]\nname = "p"\nhost = "imap.example.org"\nusername = "u"\npassword = "hunter2"\n', "mailboxes.0"),
    ('[[mailboxes]]\nname = "p"\nhost = "imap.example.org"\nusername = "u"\n', "mailboxes.0"),
    ('[[mailboxes]]\nname = "p"\nhost = "imap.example.org"\nusername = "u"\npassword_env = "P"\nsecurity = "none"\n',
     "mailboxes.0"),
    ('[[mailboxes]]\nname = "m"\nkind = "maildir"\n', "mailboxes.0"),
])
def test_bad_settings_name_the_key(tmp_path, text, key):
    with pytest.raises(SettingsError) as err:
        load_settings(write(tmp_path, text))
    assert key in str(err.value)


def test_password_in_file_is_refused_without_echoing_it(tmp_path):
    text = '[[mailboxes]]\nname = "p"\nhost = "imap.example.org"\nusername = "u"\npassword = "hunter2"\n'
    with pytest.raises(SettingsError) as err:
        load_settings(write(tmp_path, text))
    assert "password_env or password_file" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_plain_imap_allowed_on_loopback_only(tmp_path):
    text = ('[[mailboxes]]\nname = "p"\nhost = "127.0.0.1"\nport = 1143\nusername = "u"\n'
            'password_env = "P"\nsecurity = "none"\n')
    assert load_settings(write(tmp_path, text)).mailboxes[0].security == "none"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.toml")
