"""The `verl.plugins` entry point: a bare `import verl` in a fresh process registers everything."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from azr_verl import plugin

PROBE = textwrap.dedent(
    """
    import json
    import verl  # nothing of azr_verl is imported explicitly: only veRL's entry-point discovery
    from verl.trainer.ppo.core_algos import ADV_ESTIMATOR_REGISTRY
    from verl.trainer.ppo.v1.trainer_base import TRAINER_REGISTRY
    from verl.experimental.agent_loop.agent_loop import _agent_loop_registry
    from verl.experimental.reward_loop.reward_manager.registry import REWARD_MANAGER
    import sys
    print(json.dumps({
        "estimators": sorted(ADV_ESTIMATOR_REGISTRY),
        "trainers": sorted(TRAINER_REGISTRY),
        "agent_loops": sorted(_agent_loop_registry),
        "reward_managers": sorted(REWARD_MANAGER),
        "plugin_loaded": "azr_verl.plugin" in sys.modules,
        "first_component": sys.modules["azr_verl.plugin"].COMPONENT_MODULES[0] if "azr_verl.plugin" in sys.modules else None,
    }))
    """
)


def _fresh_process(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=180,
        env={**__import__("os").environ, **env},
    )


def test_bare_import_verl_registers_azr_components_in_a_fresh_process():
    result = _fresh_process(PROBE)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["plugin_loaded"]
    assert "trr_pp" in found["estimators"]
    assert found["first_component"] == "azr_verl.cpu.registration"
    assert "azr" in found["trainers"]
    assert {"azr_propose", "azr_solve"} <= set(found["agent_loops"])
    assert "azr" in found["reward_managers"]


def test_plugin_can_be_disabled_with_verls_own_switch():
    result = _fresh_process(PROBE, VERL_USE_EXTERNAL_PLUGINS="none")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert not found["plugin_loaded"]
    assert "trr_pp" not in found["estimators"]


def test_a_failing_component_is_logged_at_error_not_swallowed(monkeypatch, caplog):
    monkeypatch.setattr(
        plugin, "COMPONENT_MODULES", (*plugin.COMPONENT_MODULES, "azr_verl._no_such_component")
    )
    with caplog.at_level("ERROR", logger=plugin.__name__):
        errors = plugin.register_all()
    assert "azr_verl._no_such_component" in errors
    assert any(
        "azr_verl._no_such_component" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records
    )
    monkeypatch.undo()
    assert plugin.register_all() == {}
