# Sourced by the ci scripts: installs the Debian packages corio needs when they are missing.
corio_install_deps() {
  local wanted=(cmake ninja-build g++ pkg-config liburing-dev libuv1-dev libexpected-dev libboost-test-dev libssl-dev openssl curl "$@")
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
