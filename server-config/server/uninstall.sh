#!/bin/sh
# Removes what install.sh created, in reverse order: the resources and pools of the RAR inside the
# EAR, the EAR, and the password alias. ASADMIN as for install.sh.
set -eu

asadmin=${ASADMIN:-asadmin}

$asadmin delete-connector-resource jca/pgtier-readonly
$asadmin delete-connector-connection-pool pgtier-ro
$asadmin delete-connector-resource jca/pgtier
$asadmin delete-connector-connection-pool pgtier-rw
$asadmin undeploy pgtier
$asadmin delete-password-alias pgtier-db
