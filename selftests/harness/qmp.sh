#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The host channel works: a QMP command issued from the guest gets the
# host's answer, and a bad one reports an error.
. ./lib/vm.sh
plan 3
reply=$(host qmp '{"execute": "query-status"}')
ok $? "query-status through the host channel"
case $reply in *'"running"'*) r=0 ;; *) r=1 ;; esac
ok $r "the VM reports itself running ($reply)"
host qmp '{"execute": "no-such-command"}' >/dev/null
[ $? -ne 0 ]
ok $? "an unknown QMP command fails"
done_testing
