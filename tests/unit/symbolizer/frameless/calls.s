# Calls into frameless and framed functions, for frameless_caller_test.cc and
# perf_profile_assembler_test.cc (assembled and linked by gcc there, never run). The labels
# name the addresses the test looks at; nm gives them, independently of the code under test.
	.text

# A frame-pointer prologue and epilogue with their CFI, as gcc writes them.
	.macro FRAME_PROLOGUE
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset 6, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register 6
	.endm
	.macro FRAME_EPILOGUE
	popq	%rbp
	.cfi_def_cfa 7, 8
	ret
	.endm

# No frame anywhere: the CFA stays rsp+8.
	.globl	leaf
	.type	leaf, @function
leaf:
	.cfi_startproc
	movq	%rdi, %rax
	.globl	leaf_body
leaf_body:
	addq	$1, %rax
	ret
	.cfi_endproc
	.size	leaf, .-leaf

# A frame-pointer prologue and epilogue.
	.globl	framed_leaf
	.type	framed_leaf, @function
framed_leaf:
	.cfi_startproc
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset 6, -16
	.globl	framed_leaf_mov
framed_leaf_mov:
	movq	%rsp, %rbp
	.cfi_def_cfa_register 6
	.globl	framed_leaf_body
framed_leaf_body:
	movq	%rdi, %rax
	popq	%rbp
	.cfi_def_cfa 7, 8
	.globl	framed_leaf_ret
framed_leaf_ret:
	ret
	.cfi_endproc
	.size	framed_leaf, .-framed_leaf

# Saves a register without a frame pointer: CFA rsp+16, rbp untouched.
	.globl	pushing_leaf
	.type	pushing_leaf, @function
pushing_leaf:
	.cfi_startproc
	pushq	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset 3, -16
	.globl	pushing_leaf_body
pushing_leaf_body:
	movq	%rdi, %rbx
	popq	%rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	pushing_leaf, .-pushing_leaf

# No CFI at all.
	.globl	bare_leaf
	.type	bare_leaf, @function
bare_leaf:
	movq	%rdi, %rax
	ret
	.size	bare_leaf, .-bare_leaf

	.globl	middle
	.type	middle, @function
middle:
	.cfi_startproc
	FRAME_PROLOGUE
	call	leaf
	call	framed_leaf
	FRAME_EPILOGUE
	.cfi_endproc
	.size	middle, .-middle

	.globl	outer
	.type	outer, @function
outer:
	.cfi_startproc
	FRAME_PROLOGUE
	call	middle
	.globl	after_direct_call
after_direct_call:
	leaq	middle(%rip), %rax
	call	*%rax
	.globl	after_indirect_call
after_indirect_call:
	call	middle+1
	.globl	after_call_into_body
after_call_into_body:
	FRAME_EPILOGUE
	.cfi_endproc
	.size	outer, .-outer

	.globl	main
	.type	main, @function
main:
	.cfi_startproc
	call	outer
	xorl	%eax, %eax
	ret
	.cfi_endproc
	.size	main, .-main
	.section	.note.GNU-stack,"",@progbits
