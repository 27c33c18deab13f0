# Sourced: a private Docker daemon (Debian's docker.io) for one script, ended by its pid when the script exits.
#
#   dockerd_start <data-root>   starts it; sets DOCKER_CMD (an array: the client and its -H) and DOCKERD_PID
#   dockerd_stop                ends it (SIGTERM, then waits), removes its run folder and the cgroups it made
#
# It changes nothing outside its folders: no iptables rules (--iptables=false), no docker0 bridge (--bridge=none:
# builds and containers use --network host), no ip_forward sysctl, no /etc/docker/daemon.json (its own, empty),
# and its containers' cgroups under a parent of its own that is removed again. What dockerd 20.10 writes where no
# flag moves it (its trust key /etc/docker/key.json, the plugin folder /run/docker/plugins) is removed again if it
# was not there before. setpriv --pdeathsig makes it end
# with the script even when the script is killed.

# Debian's docker.io client: /usr/local/bin may hold a newer client only (no daemon), first on PATH.
DOCKER_CLIENT=/usr/bin/docker
DOCKERD_PID=""
DOCKERD_RUN=""
DOCKERD_CGROUP=""
DOCKERD_LEFTOVERS=()

dockerd_start() {
  local data_root="$1"
  mkdir -p "$data_root"
  # Short: containerd's socket path under the exec root must fit in a unix socket address.
  DOCKERD_RUN="$(mktemp -d /tmp/aigw-dockerd.XXXXXX)"
  DOCKERD_CGROUP="aigw-dockerd-$(basename "$DOCKERD_RUN")"
  echo '{}' >"$DOCKERD_RUN/daemon.json"
  DOCKERD_LEFTOVERS=()
  local p
  for p in /etc/docker/key.json /run/docker/plugins /run/docker; do
    [[ -e "$p" ]] || DOCKERD_LEFTOVERS+=("$p")
  done
  setpriv --pdeathsig TERM dockerd \
    --config-file "$DOCKERD_RUN/daemon.json" \
    --host "unix://$DOCKERD_RUN/docker.sock" \
    --data-root "$data_root" \
    --exec-root "$DOCKERD_RUN/exec" \
    --pidfile "$DOCKERD_RUN/docker.pid" \
    --cgroup-parent "/$DOCKERD_CGROUP" \
    --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
    >"$DOCKERD_RUN/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  DOCKER_CMD=("$DOCKER_CLIENT" -H "unix://$DOCKERD_RUN/docker.sock")
  local i
  # Up to 60 s (0.5 s steps) for the daemon and its containerd to answer on a loaded machine.
  for i in $(seq 1 120); do
    if "${DOCKER_CMD[@]}" version >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "dockerd did not start (log follows)" >&2
  tail -20 "$DOCKERD_RUN/dockerd.log" >&2
  dockerd_stop
  return 1
}

dockerd_stop() {
  if [[ -n "$DOCKERD_PID" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    kill -TERM "$DOCKERD_PID"
    wait "$DOCKERD_PID" 2>/dev/null || true
  fi
  DOCKERD_PID=""
  if [[ -n "$DOCKERD_CGROUP" ]]; then
    # Empty by now (every container ended with the daemon); rmdir refuses a cgroup that is not.
    find /sys/fs/cgroup -maxdepth 3 -type d -name "$DOCKERD_CGROUP" -exec rmdir {} + 2>/dev/null || true
    DOCKERD_CGROUP=""
  fi
  local p
  for p in "${DOCKERD_LEFTOVERS[@]}"; do
    # Folders only when empty (another daemon may be using them).
    if [[ -d "$p" ]]; then rmdir "$p" 2>/dev/null || true; else rm -f "$p"; fi
  done
  DOCKERD_LEFTOVERS=()
  if [[ -n "$DOCKERD_RUN" ]]; then
    # dockerd leaves its network namespace bind-mounted (exec-root/netns/default) when it stops.
    # None may be left (grep then exits 1): that is not a failure of the clean-up.
    local mounts
    mounts="$(grep -F " $DOCKERD_RUN/" /proc/mounts | cut -d' ' -f2 | sort -r || true)"
    [[ -z "$mounts" ]] || xargs -r -n1 umount -l <<<"$mounts"
    rm -rf "$DOCKERD_RUN"
    DOCKERD_RUN=""
  fi
}
