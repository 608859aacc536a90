#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for trying and testing the SLURM launcher.
#
#   cluster/slurm.sh up      install Debian's packages if missing, configure, start, wait for an idle node
#   cluster/slurm.sh down    stop every daemon it started
#   cluster/slurm.sh status  say whether the cluster is up
#
# Runs as root on Debian. Job accounting (which `sacct`, and so submitit, reads) is kept by slurmdbd
# in a local MariaDB. Every file it writes is marked, and a slurm.conf it did not write is never
# touched, so it refuses to run beside a real cluster's configuration.
set -euo pipefail

CLUSTER=backprop-bench
MARK="# written by backprop-bench cluster/slurm.sh"
CONF_DIR=/etc/slurm
STATE=/var/lib/backprop-bench-slurm
LOGS=/var/log/backprop-bench-slurm
DB_PASSWORD=backprop-bench-local
PACKAGES=(slurmctld slurmd slurmdbd slurm-client munge mariadb-server)

die() {
    echo "error: $*" >&2
    exit 1
}

say() { echo "slurm: $*"; }

need_root() {
    [[ $(id -u) == 0 ]] || die "cluster/slurm.sh $1 needs root (it installs packages and starts daemons); run it as root"
}

refuse_foreign_config() {
    local file
    for file in "$CONF_DIR/slurm.conf" "$CONF_DIR/slurmdbd.conf"; do
        if [[ -e $file ]] && ! grep -qF "$MARK" "$file"; then
            die "$file was not written by this script (a real cluster's?); not touching it"
        fi
    done
}

install_packages() {
    local command missing=0
    for command in slurmctld slurmd slurmdbd sinfo sacct munged mariadbd; do
        command -v "$command" >/dev/null || missing=1
    done
    ((missing)) || return 0
    command -v apt-get >/dev/null || die "SLURM is not installed and there is no apt-get to install it; install ${PACKAGES[*]}"
    say "installing ${PACKAGES[*]}"
    {
        apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
    } >"/tmp/backprop-bench-slurm-apt.log" 2>&1 ||
        die "could not install ${PACKAGES[*]} with apt-get (log: /tmp/backprop-bench-slurm-apt.log)"
}

write_config() {
    local node
    node=$(slurmd -C | head -n 1) # NodeName=<host> CPUs=.. Boards=.. ... RealMemory=..
    mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$LOGS"
    cat >"$CONF_DIR/slurm.conf" <<EOF
$MARK
ClusterName=$CLUSTER
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/backprop-bench-slurmctld.pid
SlurmdPidFile=/run/backprop-bench-slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
# No cgroups in containers: processes are tracked by their parents, and each job is bound to its cores.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# A job that no node of its partition can hold is refused at submission, not left pending.
EnforcePartLimits=ALL
# A cancelled job gets SIGKILL 5 s after SIGTERM; finished jobs stay visible to squeue for 5 min.
KillWait=5
MinJobAge=300
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none
$node State=UNKNOWN
NodeName=$(hostname -s) NodeAddr=127.0.0.1
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=second Nodes=ALL MaxTime=INFINITE State=UP
EOF
    # A node line from `slurmd -C` and one with its address: merge them into one.
    sed -i -e "/^NodeName=$(hostname -s) NodeAddr=/d" \
        -e "s/^\(NodeName=$(hostname -s)\) /\1 NodeAddr=127.0.0.1 /" "$CONF_DIR/slurm.conf"
    cat >"$CONF_DIR/slurmdbd.conf" <<EOF
$MARK
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=/run/backprop-bench-slurmdbd.pid
LogFile=$LOGS/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASSWORD
StorageLoc=slurm_acct_db
EOF
    chmod 600 "$CONF_DIR/slurmdbd.conf"
}

running() { pgrep -x "$1" >/dev/null; }

wait_for() { # seconds, description, command...
    local seconds=$1 what=$2
    shift 2
    for ((i = 0; i < seconds * 2; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    die "$what did not come up within ${seconds} s (logs in $LOGS)"
}

start_munge() {
    if ! running munged; then
        [[ -s /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
        install -d -o munge -g munge -m 755 /run/munge
        install -d -o munge -g munge -m 700 /var/log/munge /var/lib/munge
        runuser -u munge -- munged
    fi
    wait_for 10 munged munge -n
}

start_database() {
    if ! running mariadbd; then
        install -d -o mysql -g mysql /run/mysqld
        [[ -d /var/lib/mysql/mysql ]] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >"$LOGS/mariadb-install.log" 2>&1
        install -d -o mysql -g mysql "$LOGS/mariadb"
        setsid mariadbd --user=mysql --log-error="$LOGS/mariadb/error.log" </dev/null >/dev/null 2>&1 &
    fi
    wait_for 30 MariaDB mysqladmin ping
    mysql -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
              GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
}

node_ready() { sinfo -h -o %t | grep -qxE 'idle|mix|alloc'; }

up() {
    need_root up
    refuse_foreign_config
    install_packages
    mkdir -p "$LOGS"
    local before
    before=$(cat "$CONF_DIR/slurm.conf" 2>/dev/null || true)
    write_config
    start_munge
    start_database
    running slurmdbd || slurmdbd
    wait_for 30 slurmdbd sacctmgr -n list cluster
    sacctmgr -i -Q add cluster "$CLUSTER" >/dev/null 2>&1 || true
    if running slurmctld; then
        [[ $before == "$(cat "$CONF_DIR/slurm.conf")" ]] || scontrol reconfigure
    else
        slurmctld
    fi
    running slurmd || slurmd
    wait_for 60 "the node (sinfo idle)" node_ready
    wait_for 30 "job accounting (sacct)" sacct -n -a -X
    say "up: $(sinfo -h -o '%P %D node, %c cores, %m MB, %t'); accounting by slurmdbd (sacct works)"
}

down() {
    need_root down
    refuse_foreign_config
    if running slurmctld; then scontrol shutdown >/dev/null 2>&1 || true; fi
    local daemon
    for daemon in slurmd slurmctld slurmdbd; do
        pkill -x "$daemon" 2>/dev/null || true
    done
    if running mariadbd; then mysqladmin shutdown >/dev/null 2>&1 || pkill -x mariadbd || true; fi
    pkill -x munged 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
        running slurmctld || running slurmd || running slurmdbd || running mariadbd || running munged || break
        sleep 0.5
    done
    say "down"
}

status() {
    if command -v sinfo >/dev/null && node_ready 2>/dev/null; then
        say "up: $(sinfo -h -o '%P %D node, %c cores, %t')"
    else
        say "not up (cluster/slurm.sh up starts it)"
        return 1
    fi
}

case "${1:-}" in
up | down | status) "$1" ;;
*) die "usage: cluster/slurm.sh up|down|status" ;;
esac
