#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The mdev's ap_config attribute: its 201-byte read format; writes that
# replace adapters, domains and control domains at once; the accepted
# syntax (left-aligned hex, optional 0x or x, newline separators, extra
# fields ignored, input cut at 201 characters) and the refused one
# (EINVAL, EADDRNOTAVAIL, EADDRINUSE, ENODEV), which changes nothing.
. ./lib/vm.sh
. ./vfio_ap/common.sh

plan 47
suite_cleanup
load_vfio_ap
free_example >/dev/null
mdev_new $U1 >/dev/null
mdev_new $U2 >/dev/null
A=$M/$U1
B=$M/$U2
MAXA=$(max_apid)
MAXD=$(max_apqi)

_hex=0123456789abcdef
# hexmask ID...: the 64 hex digits of a 256-bit mask with bits ID set
# (bit 0 is the leftmost).
hexmask() {
	_m=""
	_i=0
	while [ $_i -lt 64 ]; do
		_v=0
		for _id in "$@"; do
			[ $((_id / 4)) -eq $_i ] && _v=$((_v | (8 >> (_id % 4))))
		done
		_m="$_m${_hex:$_v:1}"
		_i=$((_i + 1))
	done
	echo "$_m"
}
# config "APIDS" "APQIS" "CDOMS": an ap_config line (without the newline).
config() {
	echo "0x$(hexmask $1),0x$(hexmask $2),0x$(hexmask $3)"
}

# unchanged NAME: the ap_config of U1 is still $before.
unchanged() {
	expect "$1" "$(rd $A/ap_config)" "$before\\n"
}

expect "ap_config: the helper builds the mask of 5, 6" "$(hexmask 5 6)" "06${ZERO64#??}"
r="$(wrn 5 $A/assign_adapter) $(wrn 6 $A/assign_adapter) $(wrn 4 $A/assign_domain) $(wrn 0xab $A/assign_domain) $(wrn 4 $A/assign_control_domain)"
expect "ap_config: assign through the attributes" "$r" "OK OK OK OK OK"
expect "ap_config: read shows the assignments" "$(rd $A/ap_config)" "$(config "5 6" "4 171" "4")\\n"
expect "ap_config: read is 201 bytes" "$(cat $A/ap_config | wc -c)" 201
expect "ap_config: mode 0644" "$(stat -c %a $A/ap_config)" 644

# Full replacement, with upper-case digits.
new=$(config "5" "71 255" "71")
r=$(wrn "$(echo "$new" | tr a-f A-F)" $A/ap_config)
expect "ap_config: write a new config (upper-case digits)" "$r" OK
expect "ap_config: matrix follows" "$(rd $A/matrix)" '05.0047\n05.00ff\n'
expect "ap_config: control_domains follows" "$(rd $A/control_domains)" '0047\n'
expect "ap_config: reads back in lower case" "$(rd $A/ap_config)" "$new\\n"
expect "ap_config: status of removed and added queues" \
	"$(rd $APB/devices/05.0004/status) $(rd $APB/devices/06.0004/status) $(rd $APB/devices/05.0047/status)" \
	'unassigned\n unassigned\n assigned\n'
expect "ap_config: guest_matrix follows" "$(rd $A/guest_matrix)" '05.0047\n05.00ff\n'
r="$(wrn "$(cat $A/ap_config)" $A/ap_config) $(rd $A/ap_config)"
expect "ap_config: writing back what was read changes nothing" "$r" "OK $new\\n"

# Accepted syntax.
r="$(wrn 0x04,0x08,0x1 $A/ap_config) $(rd $A/matrix) $(rd $A/control_domains)"
expect "ap_config: short masks are left-aligned" "$r" 'OK 05.0004\n 0003\n'
r="$(wrn x02,,0x1 $A/ap_config) $(rd $A/matrix) $(rd $A/control_domains)"
expect "ap_config: x prefix and an empty field" "$r" 'OK 06.\n 0003\n'
r="$(wr "0x04${_nl}0x08${_nl}0x1" $A/ap_config) $(rd $A/matrix)"
expect "ap_config: newlines separate fields" "$r" 'OK 05.0004\n'
r="$(wrn 04,08,1 $A/ap_config) $(rd $A/matrix)"
expect "ap_config: no prefix" "$r" 'OK 05.0004\n'
r="$(wrn 0x04,0x08,0x1,junk $A/ap_config) $(rd $A/matrix) $(rd $A/control_domains)"
expect "ap_config: fields after the third are ignored" "$r" 'OK 05.0004\n 0003\n'
r="$(wrn 0x04,0x08 $A/ap_config) $(rd $A/matrix) $(rd $A/control_domains)"
expect "ap_config: two fields and a newline clear the control domains" "$r" 'OK 05.0004\n '
r="$(wr 0x04,0x08,0x $A/ap_config) $(rd $A/ap_config)"
expect "ap_config: 0x alone is an empty mask" "$r" "OK $(config 5 4 '')\\n"

# Refused syntax: EINVAL and nothing changes.
wrn "$new" $A/ap_config >/dev/null
before=$(cat $A/ap_config)
expect "ap_config: two fields without a newline are EINVAL" "$(wr 0x04,0x08 $A/ap_config)" EINVAL
unchanged "ap_config: unchanged after two fields"
expect "ap_config: a comma alone is EINVAL" "$(wr , $A/ap_config)" EINVAL
expect "ap_config: a newline alone is EINVAL" "$(wrn '' $A/ap_config)" EINVAL
expect "ap_config: non-hex digits are EINVAL" "$(wrn 0xZZ,0x0,0x0 $A/ap_config)" EINVAL
expect "ap_config: 0X prefix is EINVAL" "$(wrn 0X04,0,0 $A/ap_config)" EINVAL
expect "ap_config: 65 digits are EINVAL" "$(wrn "0x0$ZERO64,0,0" $A/ap_config)" EINVAL
expect "ap_config: a trailing blank is EINVAL" "$(wrn '0x04,0x08,0x1 ' $A/ap_config)" EINVAL
unchanged "ap_config: unchanged after EINVAL"
long=x
for i in 1 2 3 4 5 6 7 8 9 10 11; do long=$long$long; done
expect "ap_config: 2048 characters of junk are EINVAL" "$(wrn "$long" $A/ap_config)" EINVAL
r=$(wrn "$(config 6 4 4)$_nl$long" $A/ap_config)
expect "ap_config: input after 201 characters is ignored" "$r $(rd $A/matrix)" 'OK 06.0004\n'
wrn "$new" $A/ap_config >/dev/null
expect "ap_config: a config cut inside its last field is EINVAL" \
	"$(wr "$(config 6 4 4)$long" $A/ap_config)" EINVAL
unchanged "ap_config: unchanged after the long writes"

# Refused configurations.
expect "ap_config: first mdev takes 05.0004 and 05.0047" "$(wrn "$(config 5 "71 4" '')" $A/ap_config)" OK
r="$(wrn "$(config 5 4 '')" $B/ap_config) $(rd $B/matrix)"
expect "ap_config: queue 05.0004 of another mdev is EADDRINUSE" "$r" "EADDRINUSE "
before=$(cat $A/ap_config)
expect "ap_config: queues of the default pool are EADDRNOTAVAIL" \
	"$(wrn "$(config "5 7" "0 4" '')" $A/ap_config)" EADDRNOTAVAIL
unchanged "ap_config: unchanged after EADDRNOTAVAIL"
if [ "$MAXA" -lt 255 ]; then
	over=$((MAXA + 1))
	expect "ap_config: an adapter above the largest ID is ENODEV" \
		"$(wrn "$(config "5 $over" "71 4" '')" $A/ap_config)" ENODEV
	expect "ap_config: above the largest ID without domains is ENODEV" \
		"$(wrn "$(config "$over" '' '')" $A/ap_config)" ENODEV
	expect "ap_config: EADDRNOTAVAIL is checked before ENODEV" \
		"$(wrn "$(config "$over" 0 '')" $A/ap_config)" EADDRNOTAVAIL
	unchanged "ap_config: unchanged after ENODEV"
else
	for i in 1 2 3 4; do
		skip "ap_config: adapter limit test $i" "the host's largest adapter ID is 255"
	done
fi
if [ "$MAXD" -lt 255 ]; then
	expect "ap_config: a control domain above the largest ID is ENODEV" \
		"$(wrn "$(config 5 4 "$((MAXD + 1))")" $A/ap_config)" ENODEV
else
	expect "ap_config: control domain 255 is accepted with the largest ID 255" \
		"$(wrn "$(config 5 "71 4" "255")" $A/ap_config) $(rd $A/control_domains)" 'OK 00ff\n'
fi

# One write that adds two adapters and removes a domain.
wrn "$(config 5 "4 171" '')" $A/ap_config >/dev/null
r="$(wrn "$(config "5 6 10" 4 '')" $A/ap_config) $(rd $A/matrix)"
expect "ap_config: add two adapters, remove a domain" "$r" 'OK 05.0004\n06.0004\n0a.0004\n'
expect "ap_config: status after the combined change" \
	"$(rd $APB/devices/05.00ab/status) $(rd $APB/devices/06.0004/status) $(rd $APB/devices/05.0004/status)" \
	'unassigned\n assigned\n assigned\n'
expect "ap_config: guest_matrix after the combined change" "$(rd $A/guest_matrix)" '05.0004\n06.0004\n'
r="$(wrn , $A/ap_config) $(rd $A/ap_config)"
expect "ap_config: a comma and a newline clear everything" "$r" "OK $(config '' '' '')\\n"
expect "ap_config: status after clearing" \
	"$(rd $APB/devices/05.0004/status) $(rd $APB/devices/06.0004/status)" 'unassigned\n unassigned\n'
r="$(wrn "$(config "5 6 10" 4 '')" $A/ap_config) $(mdev_rm $U1) $(mdev_rm $U2)"
expect "ap_config: remove the mdevs after a config write" "$r" "OK OK OK"

suite_cleanup
done_testing
