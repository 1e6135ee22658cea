# Two units whose DWARF (version 4, written by hand below; the line table comes from the .loc
# directives) places inlined calls where a compiler rarely does, assembled and linked at test time
# by ElfSymbolizer.InlinedCallsOutsideOrAcrossSubprograms (elf_symbolizer_test.cc), which checks
# the frames these DIEs and lines state. In both, ElfSymbolizer indexes the unit's inlined calls
# as a whole:
#  - unit "overlap.c": two subprograms whose ranges overlap, `first` [first, first+48) and
#    `first_part` [first+16, first+48); the call of `helper` at [first+24, first+32) is first's,
#    in the range the two share; the call of `other` at [first+40, first+44) is first_part's.
#  - unit "toplevel.c": the call of `helper2` at [second+8, second+16) is a child of the unit
#    itself, in no subprogram; `second` [second, second+32) has no children.
# Lines (overlap.c): first+0 line 11, +24 line 31 (helper's body), +32 line 13, +40 line 41
# (other's body), +44 line 15. helper is called from line 12, other from line 14.
# Lines (toplevel.c): second+0 line 21, +8 line 51 (helper2's body), +16 line 23; helper2 is
# called from line 22.

	.text
	.globl	first
	.type	first, @function
first:
	.file 1 "overlap.c"
	.loc 1 11
	.rept 24
	nop
	.endr
	.loc 1 31
	.rept 8
	nop
	.endr
	.loc 1 13
	.rept 8
	nop
	.endr
	.loc 1 41
	.rept 4
	nop
	.endr
	.loc 1 15
	.rept 3
	nop
	.endr
	ret
	.size	first, .-first
.Lfirst_end:

	.globl	second
	.type	second, @function
second:
	.file 2 "toplevel.c"
	.loc 2 21
	.rept 8
	nop
	.endr
	.loc 2 51
	.rept 8
	nop
	.endr
	.loc 2 23
	.rept 15
	nop
	.endr
	ret
	.size	second, .-second
.Lsecond_end:

	.globl	main
	.type	main, @function
main:
	xorl	%eax, %eax
	ret
	.size	main, .-main

	.section	.debug_abbrev,"",@progbits
.Labbrev:
	.uleb128 1	# compile_unit
	.uleb128 0x11
	.byte	1	# children
	.uleb128 0x25, 0x08	# producer, string
	.uleb128 0x13, 0x0b	# language, data1
	.uleb128 0x03, 0x08	# name, string
	.uleb128 0x1b, 0x08	# comp_dir, string
	.uleb128 0x11, 0x01	# low_pc, addr
	.uleb128 0x12, 0x07	# high_pc, data8 (a length)
	.uleb128 0x10, 0x17	# stmt_list, sec_offset
	.byte	0, 0
	.uleb128 2	# subprogram with children
	.uleb128 0x2e
	.byte	1
	.uleb128 0x03, 0x08	# name
	.uleb128 0x11, 0x01	# low_pc
	.uleb128 0x12, 0x07	# high_pc
	.byte	0, 0
	.uleb128 3	# subprogram without children
	.uleb128 0x2e
	.byte	0
	.uleb128 0x03, 0x08
	.uleb128 0x11, 0x01
	.uleb128 0x12, 0x07
	.byte	0, 0
	.uleb128 4	# abstract subprogram: name, inline
	.uleb128 0x2e
	.byte	0
	.uleb128 0x03, 0x08
	.uleb128 0x20, 0x0b	# inline, data1
	.byte	0, 0
	.uleb128 5	# inlined_subroutine
	.uleb128 0x1d
	.byte	0
	.uleb128 0x31, 0x13	# abstract_origin, ref4
	.uleb128 0x11, 0x01
	.uleb128 0x12, 0x07
	.uleb128 0x58, 0x0b	# call_file, data1
	.uleb128 0x59, 0x0b	# call_line, data1
	.byte	0, 0
	.byte	0

	.section	.debug_info,"",@progbits
.Lcu1:
	.long	.Lcu1_end - .Lcu1 - 4
	.value	4	# version
	.long	.Labbrev
	.byte	8	# address size
	.uleb128 1	# compile_unit
	.string	"hand-written"
	.byte	0x0c	# C99
	.string	"overlap.c"
	.string	"/inline_scopes"
	.quad	first
	.quad	.Lfirst_end - first
	.long	.Lline
.Lhelper:
	.uleb128 4	# helper (abstract)
	.string	"helper"
	.byte	1	# DW_INL_inlined
.Lother:
	.uleb128 4	# other (abstract)
	.string	"other"
	.byte	1
	.uleb128 2	# first
	.string	"first"
	.quad	first
	.quad	48
	.uleb128 5	# helper inlined into first
	.long	.Lhelper - .Lcu1
	.quad	first + 24
	.quad	8
	.byte	1	# overlap.c
	.byte	12
	.byte	0	# end of first's children
	.uleb128 2	# first_part: overlaps first
	.string	"first_part"
	.quad	first + 16
	.quad	32
	.uleb128 5	# other inlined into first_part
	.long	.Lother - .Lcu1
	.quad	first + 40
	.quad	4
	.byte	1
	.byte	14
	.byte	0	# end of first_part's children
	.byte	0	# end of the unit's children
.Lcu1_end:

.Lcu2:
	.long	.Lcu2_end - .Lcu2 - 4
	.value	4
	.long	.Labbrev
	.byte	8
	.uleb128 1
	.string	"hand-written"
	.byte	0x0c
	.string	"toplevel.c"
	.string	"/inline_scopes"
	.quad	second
	.quad	.Lsecond_end - second
	.long	.Lline
.Lhelper2:
	.uleb128 4	# helper2 (abstract)
	.string	"helper2"
	.byte	1
	.uleb128 3	# second, without children
	.string	"second"
	.quad	second
	.quad	32
	.uleb128 5	# helper2 inlined at the unit's top level
	.long	.Lhelper2 - .Lcu2
	.quad	second + 8
	.quad	8
	.byte	2	# toplevel.c
	.byte	22
	.byte	0	# end of the unit's children
.Lcu2_end:

	.section	.debug_line,"",@progbits
.Lline:
	.section	.note.GNU-stack,"",@progbits
