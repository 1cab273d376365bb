#!/usr/bin/env bash
# Installs the Debian packages Glint builds and tests with. Safe to run again.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config \
  libvulkan-dev libvulkan-volk-dev glslc spirv-tools glslang-tools \
  mesa-vulkan-drivers vulkan-validationlayers \
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo \
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user clang-15 \
  >/dev/null
echo "setup: packages installed"
