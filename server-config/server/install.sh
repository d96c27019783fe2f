#!/bin/sh
# Installs pgtier on a running Payara Server domain: the database password as an alias, the EAR,
# and for the RAR inside it a READ_WRITE and a READ_ONLY pool with their JNDI resources.
#
#   PGTIER_PRIMARY_URL=jdbc:postgresql://db1:5432/app PGTIER_BACKUP_URL=... PGTIER_FAILOVER_URL=... \
#   PGTIER_USER=app PGTIER_PASSWORD=... server-config/server/install.sh ear/target/pgtier.ear
#
# ASADMIN names the asadmin command and its connection options (default: "asadmin"), e.g.
# ASADMIN="/opt/payara6/bin/asadmin --port 4848"; on a domain with an admin password, name its
# password file in ADMIN_PASSWORDFILE (not in ASADMIN). The URLs and user are written into the pools;
# the password only into the domain's password alias "pgtier-db", which the pools reference as
# ${ALIAS=pgtier-db}. PGTIER_BACKUP_URL and PGTIER_FAILOVER_URL may be empty (fewer tiers).
# Undo everything with uninstall.sh.
set -eu

ear=${1:?usage: install.sh path/to/pgtier.ear}
asadmin=${ASADMIN:-asadmin}
: "${PGTIER_PRIMARY_URL:?set PGTIER_PRIMARY_URL (jdbc:postgresql://host:port/database)}"
: "${PGTIER_USER:?set PGTIER_USER}"
: "${PGTIER_PASSWORD:?set PGTIER_PASSWORD}"
backup=${PGTIER_BACKUP_URL:-}
failover=${PGTIER_FAILOVER_URL:-}

# asadmin splits --property on ':' and '='; escape them in values.
escape() {
    printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g' -e 's/=/\\=/g'
}

case $PGTIER_PASSWORD in
    *"
"*) echo "install.sh: PGTIER_PASSWORD must be one line" >&2; exit 2 ;;
esac

# The password goes through a file only asadmin reads, never a command line (visible in ps). The
# file is read as Java properties: a backslash is written doubled.
secret=$(mktemp)
trap 'rm -f "$secret"' EXIT
trap 'exit 1' HUP INT TERM
chmod 600 "$secret"
{
    [ -z "${ADMIN_PASSWORDFILE:-}" ] || cat "$ADMIN_PASSWORDFILE"
    printf 'AS_ADMIN_ALIASPASSWORD=%s\n' "$(printf '%s' "$PGTIER_PASSWORD" | sed 's/\\/\\\\/g')"
} > "$secret"
admin=""
[ -z "${ADMIN_PASSWORDFILE:-}" ] || admin="--passwordfile $ADMIN_PASSWORDFILE"
if $asadmin $admin list-password-aliases | grep -qx pgtier-db; then
    $asadmin --passwordfile "$secret" update-password-alias pgtier-db
else
    $asadmin --passwordfile "$secret" create-password-alias pgtier-db
fi

# Deployed disabled first: Payara checks every @Resource lookup of the beans when an application
# loads, and the pools can only be created once the RAR they belong to is deployed. Enabled last.
$asadmin $admin deploy --enabled=false --name pgtier "$ear"

# The RAR inside the EAR is "<application>#<rar module without .rar>".
raname=pgtier#pgtier-rar
common="primaryUrl=$(escape "$PGTIER_PRIMARY_URL")"
# asadmin refuses an empty value: a tier without a URL is left out.
[ -z "$backup" ] || common="$common:backupUrl=$(escape "$backup")"
[ -z "$failover" ] || common="$common:failoverUrl=$(escape "$failover")"
common="$common:user=$(escape "$PGTIER_USER"):password=\${ALIAS\\=pgtier-db}"

$asadmin $admin create-connector-connection-pool --raname "$raname" --connectiondefinition javax.sql.DataSource \
    --transactionsupport LocalTransaction --steadypoolsize 2 --maxpoolsize 10 --poolresize 2 --idletimeout 300 \
    --maxwait 10000 --isconnectvalidatereq true --failconnection false --matchconnections true \
    --lazyconnectionassociation false --lazyconnectionenlistment false --associatewiththread false \
    --property "poolName=pgtier-rw:purpose=READ_WRITE:$common" pgtier-rw
$asadmin $admin create-connector-resource --poolname pgtier-rw jca/pgtier

$asadmin $admin create-connector-connection-pool --raname "$raname" --connectiondefinition javax.sql.DataSource \
    --transactionsupport NoTransaction --steadypoolsize 1 --maxpoolsize 8 --poolresize 1 --idletimeout 300 \
    --maxwait 10000 --isconnectvalidatereq true --failconnection false --matchconnections true \
    --lazyconnectionassociation false --lazyconnectionenlistment false --associatewiththread false \
    --property "poolName=pgtier-ro:purpose=READ_ONLY:$common" pgtier-ro
$asadmin $admin create-connector-resource --poolname pgtier-ro jca/pgtier-readonly

$asadmin $admin enable pgtier

# The RAR is running now: one connection through each pool proves URL, user and password.
$asadmin $admin ping-connection-pool pgtier-rw
$asadmin $admin ping-connection-pool pgtier-ro
