"""The `stylecast` command itself: its listing, its errors, and that the runtime never imports torch."""

import subprocess
import sys

import pytest

from stylecast.runtime.cli import COMMANDS, main


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_unknown_command_lists_valid_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["stylise-everything"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "optimize" in err and "texture" in err


def test_runtime_and_cli_import_no_torch():
    code = ("import sys; import stylecast.runtime, stylecast.runtime.cli, stylecast.runtime.imageio, "
            "stylecast.runtime.color, stylecast.training.optimize_cli; "
            "from stylecast.runtime.cli import main\n"
            "try:\n    main(['optimize', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_cli_choice_lists_agree_with_the_code_they_front():
    pytest.importorskip("torch")
    from stylecast.training import architectures, gatys, optimize_cli, train_cli

    assert optimize_cli.OPTIMIZERS == gatys.OPTIMIZERS and optimize_cli.INITS == gatys.INITS
    per_style = tuple(a for a in architectures.ARCHITECTURES if a not in architectures.CONDITIONAL)
    assert train_cli.ARCHITECTURES == per_style
    from stylecast.training.translation import cli as gan_cli, gan_trainer, pairs

    assert gan_cli.METHODS == (*gan_trainer.RECIPES, "cyclegan") and gan_cli.TASKS == pairs.TASKS
    pytest.importorskip("onnx")
    from stylecast.export import cli as export_cli, tensorrt_build

    assert export_cli.TRT_CHOICES == tensorrt_build.TRT_CHOICES
