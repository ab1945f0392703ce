"""Each `kbsite serve` instance gets its own gunicorn control socket (never the shared per-user one)."""

from __future__ import annotations

import pytest

gunicorn_config = pytest.importorskip("gunicorn.config")

from kbsite import serving  # noqa: E402


def test_each_instance_gets_its_own_control_socket_in_its_folder(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert serving.control_socket(a) == str(a.resolve() / "gunicorn.ctl")
    assert serving.control_socket(a) != serving.control_socket(b)


def test_a_folder_too_deep_for_a_socket_path_gets_a_short_name_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    deep = tmp_path / ("d" * 60) / ("e" * 60) / "instance"
    other = tmp_path / ("d" * 60) / ("f" * 60) / "instance"
    path = serving.control_socket(deep)
    assert len(path.encode()) <= serving.MAX_SOCKET_PATH
    assert path.startswith(str(tmp_path)) and path != serving.control_socket(other)
    assert path == serving.control_socket(deep)  # stable: gunicornc finds it again


@pytest.mark.parametrize("setting", ["off", "OFF", "False", "0", "none"])
def test_the_control_socket_can_be_turned_off(tmp_path, setting):
    assert serving.control_socket(tmp_path, setting) is None
    opts = serving.options("127.0.0.1:0", 1, 1, 30, None)
    assert opts["control_socket_disable"] is True and "control_socket" not in opts


def test_an_explicit_path_is_used_as_given(tmp_path):
    assert serving.control_socket(tmp_path, str(tmp_path / "x.ctl")) == str(tmp_path / "x.ctl")


def test_gunicorn_is_configured_with_the_instance_socket(tmp_path):
    path = serving.control_socket(tmp_path)
    server = serving.Server(serving.options("127.0.0.1:0", 2, 4, 30, path))
    if "control_socket" not in server.cfg.settings:
        pytest.skip("this gunicorn has no control socket")
    assert server.cfg.control_socket == path
    assert server.cfg.control_socket_disable is False
    off = serving.Server(serving.options("127.0.0.1:0", 2, 4, 30, None))
    assert off.cfg.control_socket_disable is True
    assert server.cfg.control_socket != gunicorn_config.ControlSocket.default


def test_gunicorn_without_a_control_socket_setting_is_still_configured(tmp_path, monkeypatch):
    """gunicorn 23–25.0 (allowed by pyproject) has no such setting: it is skipped, not an error."""
    settings = gunicorn_config.make_settings(ignore=["control_socket", "control_socket_mode",
                                                     "control_socket_disable"])
    monkeypatch.setattr(gunicorn_config, "make_settings", lambda ignore=None: settings)
    server = serving.Server(serving.options("127.0.0.1:0", 2, 4, 30, serving.control_socket(tmp_path)))
    assert "control_socket" not in server.cfg.settings and server.cfg.workers == 2
