#!/bin/sh
# Removes what install.sh created, in reverse order: the resources and pools of the RAR inside the
# EAR, the EAR, and the password alias. ASADMIN and ADMIN_PASSWORDFILE as for install.sh.
# Each step runs even if an earlier one failed (so a half-done install can be cleaned up); the
# exit status says whether every step succeeded. Pools are deleted one by one: in Payara 6.2025.10
# `undeploy --cascade=true` removes only the first pool of a RAR.
set -u

asadmin=${ASADMIN:-asadmin}
admin=""
[ -z "${ADMIN_PASSWORDFILE:-}" ] || admin="--passwordfile $ADMIN_PASSWORDFILE"
failed=0

step() {
    $asadmin $admin "$@" || failed=1
}

step delete-connector-resource jca/pgtier-readonly
step delete-connector-connection-pool pgtier-ro
step delete-connector-resource jca/pgtier
step delete-connector-connection-pool pgtier-rw
step undeploy pgtier
step delete-password-alias pgtier-db
exit $failed
