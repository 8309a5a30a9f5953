# shellcheck shell=bash
# The system test's step framework and helpers, sourced by test/system/scenario.sh inside the VM
# (as alice). A step is a function; it reports with `check`/`fail`/`note` and never exits early on
# a failed check, so one run shows every broken promise of a step.

# (Constants and FAILED are used by scenario.sh, which sources this file.)
# shellcheck disable=SC2034
readonly SERVICE=dbus-mcp-standalone.service
readonly SOCKET_UNIT=dbus-mcp-standalone.socket
readonly SOCK=$XDG_RUNTIME_DIR/dbus-mcp.sock
readonly CHECKOUT=$HOME/dbus-mcp
readonly CONFIG=/etc/dbus-mcp/config
readonly UNIT_DIR=$HOME/.config/systemd/user
# Under TCG the first worker of a fresh service takes tens of seconds; nothing here is a timing
# assertion, only a bound after which a missing answer counts as a failure.
readonly ANSWER_S=240

FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/system-step.XXXXXX")

fail() {
  printf 'FAIL: %s\n' "$*"
  FAILED=1
}
note() { printf 'NOTE: %s\n' "$*"; }
info() { printf '  %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }

# check DESCRIPTION COMMAND…: runs COMMAND (its output goes to the log), records the outcome and
# returns COMMAND's success.
check() {
  local what=$1
  shift
  if "$@"; then
    ok "$what"
  else
    fail "$what"
    return 1
  fi
}

# run COMMAND…: prints the command and its indented output; returns its status.
run() {
  printf '$ %s\n' "$*"
  local status=0
  "$@" >"$WORK/run.out" 2>&1 || status=$?
  sed 's/^/    /' "$WORK/run.out"
  [ "$status" = 0 ] || printf '    (exit %d)\n' "$status"
  return "$status"
}

# The output of the last `run`.
last_output() { cat "$WORK/run.out"; }

# wait_until SECONDS COMMAND…: polls every half second; false when the bound passes first.
wait_until() {
  local until=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$until" ] || return 1
    sleep 0.5
  done
}

prop() { systemctl --user show -p "$2" --value "$1"; }
main_pid() { prop "$SERVICE" MainPID; }
is_active() { [ "$(systemctl --user is-active "$1" 2>/dev/null)" = active ]; }
is_inactive() { ! systemctl --user is-active --quiet "$1"; }
is_socket() { [ -S "$1" ]; }
service_cgroup() { printf '/sys/fs/cgroup%s\n' "$(prop "$SERVICE" ControlGroup)"; }
# Journal lines of the service since a `date +%s` value, as JSON.
journal_since() { journalctl --user -u "$SERVICE" --since "@$1" -o json --no-pager 2>/dev/null; }
journal_has() { journal_since "$1" | jq -r '.MESSAGE' | grep -q -- "$2"; }

set_level() {
  sudo sed -i "s/^SAFETY_LEVEL=.*/SAFETY_LEVEL=\"$1\"/" "$CONFIG"
  grep -q "^SAFETY_LEVEL=\"$1\"" "$CONFIG"
}

# The service's state when a step failed: what an operator would look at first.
diagnose() {
  echo "── diagnosis ──"
  systemctl --user status "$SOCKET_UNIT" "$SERVICE" --no-pager -l 2>&1 | sed 's/^/    /'
  journalctl --user -u "$SERVICE" -u "$SOCKET_UNIT" -n 40 --no-pager -o short-precise 2>&1 | sed 's/^/    /'
}

# ── MCP sessions over real client transports (socat, dbus-mcp connect) ─────────────────────
# sess_open NAME COMMAND…: starts COMMAND with its stdin and stdout on FIFOs, so several sessions
# can be open at once; requests are written and answers read line by line (newline-delimited
# JSON-RPC, as MCP's stdio transport frames it).

declare -A S_IN=() S_OUT=() S_PID=() S_SEQ=() S_CMD=()

sess_open() {
  local name=$1 dir=$WORK/sess-$1 fd_in fd_out
  shift
  S_CMD[$name]=$(printf '%q ' "$@")
  rm -rf "$dir"
  mkdir -p "$dir"
  mkfifo "$dir/in" "$dir/out"
  "$@" <"$dir/in" >"$dir/out" 2>"$dir/err" &
  S_PID[$name]=$!
  exec {fd_in}>"$dir/in" {fd_out}<"$dir/out"
  S_IN[$name]=$fd_in
  S_OUT[$name]=$fd_out
  S_SEQ[$name]=0
}

# sess_send NAME LINE
sess_send() { printf '%s\n' "$2" 1>&"${S_IN[$1]}" 2>/dev/null; }

# sess_read NAME SECONDS: the next line into REPLY_LINE.
sess_read() {
  REPLY_LINE=''
  IFS= read -r -t "$2" -u "${S_OUT[$1]}" REPLY_LINE
}

# sess_wait_closed NAME SECONDS: true once the other side closed the connection (EOF), reading
# (and logging) what comes before; false when it is still open after SECONDS.
sess_wait_closed() {
  local until=$((SECONDS + $2)) status
  while [ "$SECONDS" -lt "$until" ]; do
    status=0
    sess_read "$1" "$((until - SECONDS))" || status=$?
    [ "$status" = 0 ] || return $((status > 128))
    info "($1) $REPLY_LINE"
  done
  return 1
}

# sess_expect NAME SECONDS REGEX: reads lines until one matches (into REPLY_LINE).
sess_expect() {
  local until=$((SECONDS + $2)) left
  while :; do
    left=$((until - SECONDS))
    [ "$left" -gt 0 ] || return 1
    sess_read "$1" "$left" || return 1
    [[ "$REPLY_LINE" =~ $3 ]] && return 0
    info "($1) $REPLY_LINE"
  done
}

# sess_request NAME METHOD PARAMS_JSON [SECONDS]: sends a request, reads up to its answer (into
# REPLY, skipping notifications); false when no answer came (closed or past the bound).
sess_request() {
  local name=$1 id
  id=$((S_SEQ[$name] + 1))
  S_SEQ[$name]=$id
  REPLY=''
  sess_send "$name" "$(jq -nc --argjson id "$id" --arg m "$2" --argjson p "$3" \
    '{jsonrpc: "2.0", id: $id, method: $m, params: $p}')" || {
    info "($name) cannot send $2: the transport is gone"
    return 1
  }
  local until=$((SECONDS + ${4:-$ANSWER_S})) left
  while :; do
    left=$((until - SECONDS))
    if [ "$left" -le 0 ] || ! sess_read "$name" "$left"; then
      info "($name) no answer to $2 (id $id) within ${4:-$ANSWER_S} s or the connection closed"
      info "($name) transport stderr: $(tr '\n' ' ' <"$WORK/sess-$name/err")"
      return 1
    fi
    if [ "$(jq -r '.id // empty' <<<"$REPLY_LINE" 2>/dev/null)" = "$id" ]; then
      REPLY=$REPLY_LINE
      return 0
    fi
    # A final error for the whole connection (id null) ends the wait.
    if [ "$(jq -r 'if has("id") and .id == null and has("error") then "final" else empty end' <<<"$REPLY_LINE" 2>/dev/null)" = final ]; then
      REPLY=$REPLY_LINE
      return 0
    fi
  done
}

# sess_send_request NAME METHOD PARAMS_JSON: sends without waiting; prints the id.
sess_send_request() {
  local id=$((S_SEQ[$1] + 1))
  S_SEQ[$1]=$id
  sess_send "$1" "$(jq -nc --argjson id "$id" --arg m "$2" --argjson p "$3" \
    '{jsonrpc: "2.0", id: $id, method: $m, params: $p}')"
}

# sess_init NAME: MCP initialize (2025-11-25) + notifications/initialized; true on a result.
sess_init() {
  local attempt
  for attempt in 1 2 3; do
    if sess_request "$1" initialize \
      '{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"dbus-mcp-system-test","version":"1"}}' \
      "${2:-$ANSWER_S}" && jq -e '.result.serverInfo.name' <<<"$REPLY" >/dev/null; then
      sess_send "$1" '{"jsonrpc":"2.0","method":"notifications/initialized"}'
      return 0
    fi
    [ -z "${REPLY:-$REPLY_LINE}" ] || info "($1) initialize answered: ${REPLY:-$REPLY_LINE}"
    issue18_retry "$1" "$attempt" || return 1
  done
  return 1
}

# ISSUE 18 WORKAROUND (off by default; ISSUE18_WORKAROUND_DEFAULT in scripts/system-test.sh):
# before issue 18's adaptive boot deadline a worker on an emulated CPU could miss the supervisor's
# fixed 15 s deadline, and the session was closed with "worker could not start". With the
# workaround on, such a session is opened again (twice at most) and the retry is reported as a
# NOTE; every other failure counts. With it off, that answer fails the step.
issue18_retry() {
  if [ "${ISSUE18_WORKAROUND:-0}" != 1 ] || [ "$2" -ge 3 ] ||
    ! grep -q 'worker could not start' <<<"${REPLY:-$REPLY_LINE}"; then
    return 1
  fi
  note "issue 18: a worker missed its boot deadline (\"worker could not start\"); session $1 opened again"
  local cmd=${S_CMD[$1]}
  sess_close "$1"
  eval "sess_open \"\$1\" $cmd"
}

# sess_call NAME TOOL ARGS_JSON [SECONDS]: tools/call; true on a result that is not isError.
sess_call() {
  sess_request "$1" tools/call "$(jq -nc --arg n "$2" --argjson a "$3" '{name: $n, arguments: $a}')" \
    "${4:-$ANSWER_S}" || return 1
  if ! jq -e '.result and (.result.isError | not)' <<<"$REPLY" >/dev/null; then
    info "($1) $2 answered: $(head -c 600 <<<"$REPLY")"
    return 1
  fi
}

sess_close() {
  local name=$1 fd_in fd_out pid
  [ -n "${S_IN[$name]:-}" ] || return 0
  fd_in=${S_IN[$name]} fd_out=${S_OUT[$name]} pid=${S_PID[$name]}
  exec {fd_in}>&- 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec {fd_out}<&- 2>/dev/null || true
  unset "S_IN[$name]" "S_OUT[$name]"
}

sess_close_all() {
  local name
  for name in "${!S_IN[@]}"; do sess_close "$name"; done
}

socat_session() { sess_open "$1" socat "UNIX-CONNECT:${2:-$SOCK}" STDIO; }

# A whole socat session: connect, initialize, one tool call. Its JSON answer is left in REPLY.
session_works() {
  local name=probe$RANDOM ok=0
  socat_session "$name" "${1:-$SOCK}"
  if sess_init "$name" && sess_call "$name" list_services '{"bus":"session"}'; then ok=1; fi
  sess_close "$name"
  [ "$ok" = 1 ]
}

# The level the running service applies, as its explain_policy tool reports it.
session_level() {
  local name=$1
  sess_call "$name" explain_policy \
    '{"bus":"session","service":"org.freedesktop.DBus","path":"/org/freedesktop/DBus","interface":"org.freedesktop.DBus","member":"ListNames"}' ||
    return 1
  jq -r '.result.structuredContent.level' <<<"$REPLY"
}

# The socket unit listening again and the service stopped: the state most steps start from.
reset_units() {
  systemctl --user stop "$SERVICE" >/dev/null 2>&1 || true
  systemctl --user reset-failed "$SERVICE" "$SOCKET_UNIT" >/dev/null 2>&1 || true
  is_active "$SOCKET_UNIT" || systemctl --user restart "$SOCKET_UNIT"
}

step_cleanup() {
  sess_close_all
  rm -rf -- "$WORK"
  # However the step ended (a stray `exit 0` included), a failed check fails it.
  [ "$FAILED" = 0 ] || exit 1
}
