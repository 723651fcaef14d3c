// SPDX-License-Identifier: GPL-2.0

//! The command streamer's registers that batches can reach: the general-purpose registers
//! (`CS_GPR`, sixteen of 64 bits at `mmio_base + 0x600`), which `MI_LOAD_REGISTER_*`,
//! `MI_STORE_REGISTER_MEM` and the ALU of `MI_MATH` use.
//!
//! They belong to the request: zero when its batch starts, kept while it yields. Writes to
//! registers vi915 does not model have no effect (as `MI_LOAD_REGISTER_IMM` always had); reading
//! one fails the batch (`EINVAL`), so a test never sees a made-up value.

use kernel::prelude::*;

/// Offset of `CS_GPR(0)` from the engine's MMIO base.
const GPR_OFFSET: u32 = 0x600;
/// Number of general-purpose registers.
const GPRS: usize = 16;

/// ALU operands (`MI_MATH`), besides `R0` to `R15` (0 to 15).
mod operand {
    pub(super) const SRCA: u32 = 0x20;
    pub(super) const SRCB: u32 = 0x21;
    pub(super) const ACCU: u32 = 0x31;
    pub(super) const ZF: u32 = 0x32;
    pub(super) const CF: u32 = 0x33;
}

/// ALU opcodes (`MI_MATH`, gen 8).
mod alu {
    pub(super) const NOOP: u32 = 0x000;
    pub(super) const LOAD: u32 = 0x080;
    pub(super) const LOAD0: u32 = 0x081;
    pub(super) const LOADINV: u32 = 0x480;
    pub(super) const LOAD1: u32 = 0x481;
    pub(super) const ADD: u32 = 0x100;
    pub(super) const SUB: u32 = 0x101;
    pub(super) const AND: u32 = 0x102;
    pub(super) const OR: u32 = 0x103;
    pub(super) const XOR: u32 = 0x104;
    pub(super) const STORE: u32 = 0x180;
    pub(super) const STOREINV: u32 = 0x580;
}

/// The registers of one request's batch.
#[derive(Clone, Copy, Default)]
pub(crate) struct Registers {
    gpr: [u64; GPRS],
    src_a: u64,
    src_b: u64,
    accu: u64,
    zero: bool,
    carry: bool,
}

impl Registers {
    /// The general-purpose register and half (`false`: low dword) at MMIO offset `reg` of an
    /// engine whose registers start at `base`, if it is one.
    fn gpr_at(base: u32, reg: u32) -> Option<(usize, bool)> {
        let offset = reg.checked_sub(base)?.checked_sub(GPR_OFFSET)?;
        let index = usize::try_from(offset / 8).ok()?;
        (offset % 4 == 0 && index < GPRS).then_some((index, offset % 8 == 4))
    }

    /// Reads the dword register at `reg` (engine MMIO base `base`): [`EINVAL`] if not modelled.
    pub(crate) fn read(&self, base: u32, reg: u32) -> Result<u32> {
        let (index, high) = Self::gpr_at(base, reg).ok_or(EINVAL)?;
        let shift = if high { 32 } else { 0 };
        Ok((self.gpr[index] >> shift) as u32)
    }

    /// Writes the dword register at `reg` (engine MMIO base `base`); no effect if not modelled.
    pub(crate) fn write(&mut self, base: u32, reg: u32, value: u32) {
        if let Some((index, high)) = Self::gpr_at(base, reg) {
            let r = &mut self.gpr[index];
            *r = if high {
                (*r & 0xffff_ffff) | u64::from(value) << 32
            } else {
                (*r & !0xffff_ffff) | u64::from(value)
            };
        }
    }

    /// The value of ALU operand `op`.
    fn operand(&self, op: u32) -> Result<u64> {
        Ok(match op {
            0..=15 => self.gpr[op as usize],
            operand::SRCA => self.src_a,
            operand::SRCB => self.src_b,
            operand::ACCU => self.accu,
            operand::ZF => u64::from(self.zero),
            operand::CF => u64::from(self.carry),
            _ => return Err(EINVAL),
        })
    }

    /// The ALU source register operand `op` names: [`EINVAL`] unless `SRCA` or `SRCB`.
    fn source(&mut self, op: u32) -> Result<&mut u64> {
        match op {
            operand::SRCA => Ok(&mut self.src_a),
            operand::SRCB => Ok(&mut self.src_b),
            _ => Err(EINVAL),
        }
    }

    /// Sets the accumulator and the zero flag.
    fn accumulate(&mut self, value: u64, carry: bool) {
        self.accu = value;
        self.zero = value == 0;
        self.carry = carry;
    }

    /// Executes one ALU instruction of `MI_MATH`: opcode in bits 31:20, operands in 19:10 and
    /// 9:0.
    pub(crate) fn alu(&mut self, instruction: u32) -> Result {
        let (opcode, op1, op2) = (
            instruction >> 20,
            (instruction >> 10) & 0x3ff,
            instruction & 0x3ff,
        );
        let (a, b) = (self.src_a, self.src_b);
        match opcode {
            alu::NOOP => {}
            alu::LOAD => *self.source(op1)? = self.operand(op2)?,
            alu::LOADINV => *self.source(op1)? = !self.operand(op2)?,
            alu::LOAD0 => *self.source(op1)? = 0,
            alu::LOAD1 => *self.source(op1)? = 1,
            alu::ADD => {
                let (sum, carry) = a.overflowing_add(b);
                self.accumulate(sum, carry);
            }
            alu::SUB => {
                let (difference, borrow) = a.overflowing_sub(b);
                self.accumulate(difference, borrow);
            }
            alu::AND => self.accumulate(a & b, false),
            alu::OR => self.accumulate(a | b, false),
            alu::XOR => self.accumulate(a ^ b, false),
            alu::STORE | alu::STOREINV => {
                let invert = if opcode == alu::STOREINV { u64::MAX } else { 0 };
                let value = self.operand(op2)? ^ invert;
                match op1 {
                    0..=15 => self.gpr[op1 as usize] = value,
                    _ => return Err(EINVAL),
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

#[kunit_tests(vi915_registers)]
mod tests {
    use super::*;

    const BASE: u32 = 0x2000;

    const fn instr(opcode: u32, op1: u32, op2: u32) -> u32 {
        opcode << 20 | op1 << 10 | op2
    }

    #[test]
    fn gprs_are_pairs_of_dwords() -> Result {
        let mut r = Registers::default();
        r.write(BASE, BASE + 0x608, 0x1111_2222);
        r.write(BASE, BASE + 0x60c, 0x3333_4444);
        assert_eq!(r.gpr[1], 0x3333_4444_1111_2222);
        assert_eq!(r.read(BASE, BASE + 0x60c)?, 0x3333_4444);
        // Another engine's registers, past the last GPR, unaligned: not modelled.
        assert_eq!(r.read(BASE, 0x22608), Err(EINVAL));
        assert_eq!(r.read(BASE, BASE + 0x680), Err(EINVAL));
        assert_eq!(r.read(BASE, BASE + 0x602), Err(EINVAL));
        r.write(BASE, BASE + 0x2358, 1);
        let mut want = [0; GPRS];
        want[1] = 0x3333_4444_1111_2222;
        assert_eq!(r.gpr, want);
        Ok(())
    }

    #[test]
    fn alu_adds_subtracts_and_stores() -> Result {
        let mut r = Registers::default();
        r.gpr[0] = u64::MAX;
        r.gpr[1] = 2;
        for i in [
            instr(alu::LOAD, operand::SRCA, 0),
            instr(alu::LOAD, operand::SRCB, 1),
            instr(alu::ADD, 0, 0),
            instr(alu::STORE, 2, operand::ACCU),
            instr(alu::STORE, 3, operand::CF),
            instr(alu::SUB, 0, 0),
            instr(alu::STOREINV, 4, operand::ACCU),
            instr(alu::LOAD0, operand::SRCA, 0),
            instr(alu::LOAD1, operand::SRCB, 0),
            instr(alu::AND, 0, 0),
            instr(alu::STORE, 5, operand::ZF),
        ] {
            r.alu(i)?;
        }
        assert_eq!(r.gpr[2], 1);
        assert_eq!(r.gpr[3], 1);
        assert_eq!(r.gpr[4], !(u64::MAX - 2));
        assert_eq!(r.gpr[5], 1);
        // Loads go to SRCA or SRCB only; stores to R0-R15 only; unknown opcodes fail.
        assert_eq!(r.alu(instr(alu::LOAD, 3, 0)), Err(EINVAL));
        assert_eq!(r.alu(instr(alu::STORE, operand::ACCU, 0)), Err(EINVAL));
        assert_eq!(r.alu(instr(0x105, 0, 0)), Err(EINVAL));
        Ok(())
    }
}
