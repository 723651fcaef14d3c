// SPDX-License-Identifier: GPL-2.0

//! The command streamer: executes a request's batch of MI and 2D (blitter) commands, in their
//! gen-8 encodings, against the pages of the request's objects.
//!
//! Every address a command uses is translated through the request's mappings and checked
//! against the object it falls in; an address outside every object, a write to a read-only
//! object, an unknown command or a malformed one ends the request with an error. Nothing a batch
//! contains can make the kernel touch memory outside the request's objects.

use kernel::{
    page::{
        shared::SharedMap,
        PAGE_SIZE, //
    },
    prelude::*,
};

#[cfg(CONFIG_KUNIT)]
use crate::backing::Backing;
use crate::{
    backing::Mapping,
    registers::Registers, //
};

/// GPU addresses are 48 bits, sign-extended to 64 ("canonical").
const ADDR_MASK: u64 = (1 << 48) - 1;
/// Commands executed between checks for cancellation.
const CHECK_INTERVAL: u32 = 64;

/// Command headers and fields (Intel PRM, gen 8), as `IGT-SURVEY.md` §5 lists them.
mod op {
    pub(super) const MI_NOOP: u32 = 0x00;
    pub(super) const MI_USER_INTERRUPT: u32 = 0x02;
    pub(super) const MI_ARB_CHECK: u32 = 0x05;
    pub(super) const MI_ARB_ON_OFF: u32 = 0x08;
    /// `MI_ARB_ON_OFF`: arbitration enabled.
    pub(super) const ARB_ENABLE: u32 = 1;
    pub(super) const MI_BATCH_BUFFER_END: u32 = 0x0a;
    pub(super) const MI_STORE_DATA_IMM: u32 = 0x20;
    pub(super) const MI_MATH: u32 = 0x1a;
    pub(super) const MI_LOAD_REGISTER_IMM: u32 = 0x22;
    pub(super) const MI_STORE_REGISTER_MEM: u32 = 0x24;
    pub(super) const MI_LOAD_REGISTER_MEM: u32 = 0x29;
    pub(super) const MI_LOAD_REGISTER_REG: u32 = 0x2a;
    /// `MI_*_REGISTER_*`: the register offset field, bits 22:2.
    pub(super) const REGISTER_MASK: u32 = 0x7f_fffc;
    pub(super) const MI_FLUSH_DW: u32 = 0x26;
    pub(super) const MI_BATCH_BUFFER_START: u32 = 0x31;
    pub(super) const MI_COND_BATCH_BUFFER_END: u32 = 0x36;
    pub(super) const MI_SEMAPHORE_WAIT: u32 = 0x1c;
    /// `MI_SEMAPHORE_WAIT`: the compare operation, bits 14:12.
    pub(super) const SEMAPHORE_COMPARE_SHIFT: u32 = 12;
    pub(super) const XY_SETUP_CLIP_BLT: u32 = 0x03;
    pub(super) const XY_COLOR_BLT: u32 = 0x50;
    pub(super) const XY_SRC_COPY_BLT: u32 = 0x53;
    /// `MI_BATCH_BUFFER_START`: second-level batch (returns at its end).
    pub(super) const BBS_SECOND_LEVEL: u32 = 1 << 22;
    /// `MI_FLUSH_DW` post-sync operation "write immediate data".
    pub(super) const FLUSH_DW_STORE: u32 = 1 << 14;
    /// Blits: source / destination tiled.
    pub(super) const BLT_SRC_TILED: u32 = 1 << 15;
    pub(super) const BLT_DST_TILED: u32 = 1 << 11;
    /// Raster operations: copy source; fill with the pattern (colour).
    pub(super) const ROP_SRCCOPY: u32 = 0xcc;
    pub(super) const ROP_PATCOPY: u32 = 0xf0;
}

/// Translates GPU addresses through a request's mappings.
pub(crate) struct AddressSpace<'a> {
    maps: &'a [Mapping],
}

impl<'a> AddressSpace<'a> {
    /// `maps` must be sorted by start address.
    pub(crate) fn new(maps: &'a [Mapping]) -> Self {
        Self { maps }
    }

    /// Finds the mapping holding `[addr, addr + len)` and the offset of `addr` in it.
    fn resolve(&self, addr: u64, len: u64, write: bool) -> Result<(&'a Mapping, u64)> {
        let addr = addr & ADDR_MASK;
        let i = self.maps.partition_point(|m| m.start <= addr);
        let m = self
            .maps
            .get(i.checked_sub(1).ok_or(EFAULT)?)
            .ok_or(EFAULT)?;
        let offset = addr - m.start;
        match offset.checked_add(len) {
            Some(end) if end <= m.size => {}
            _ => return Err(EFAULT),
        }
        if write && !m.writable {
            return Err(EFAULT);
        }
        Ok((m, offset))
    }

    /// Runs `f` on the page holding `[addr, addr + len)` (which must not cross a page) with the
    /// offset of `addr` in that page.
    fn with_page<R>(
        &self,
        addr: u64,
        len: u64,
        write: bool,
        f: impl FnOnce(&SharedMap<'_>, usize) -> Result<R>,
    ) -> Result<R> {
        let (m, offset) = self.resolve(addr, len, write)?;
        let in_page = (offset % PAGE_SIZE as u64) as usize;
        if in_page as u64 + len > PAGE_SIZE as u64 {
            return Err(EFAULT);
        }
        let index = usize::try_from(offset / PAGE_SIZE as u64).map_err(|_| EFAULT)?;
        m.pages.with_page(index, |map| f(map, in_page))
    }

    /// Reads the dword at `addr` (dword-aligned).
    pub(crate) fn read_u32(&self, addr: u64) -> Result<u32> {
        self.with_page(addr, 4, false, |m, o| m.read_u32(o))
    }

    /// Writes the dword at `addr` (dword-aligned).
    pub(crate) fn write_u32(&self, addr: u64, value: u32) -> Result {
        self.with_page(addr, 4, true, |m, o| m.write_u32(o, value))
    }

    /// Copies `len` bytes from `src` to `dst`.
    fn copy(&self, mut dst: u64, mut src: u64, mut len: u64) -> Result {
        while len > 0 {
            let page = PAGE_SIZE as u64;
            let chunk = len
                .min(page - (src & ADDR_MASK) % page)
                .min(page - (dst & ADDR_MASK) % page);
            self.with_page(src, chunk, false, |s, so| {
                self.with_page(dst, chunk, true, |d, o| {
                    d.copy_from(o, s, so, chunk as usize)
                })
            })?;
            dst = dst.checked_add(chunk).ok_or(EFAULT)?;
            src = src.checked_add(chunk).ok_or(EFAULT)?;
            len -= chunk;
        }
        Ok(())
    }

    /// Fills `len` bytes (a multiple of 4) at `dst` (dword-aligned) with `value`.
    fn fill(&self, mut dst: u64, mut len: u64, value: u32) -> Result {
        while len > 0 {
            let page = PAGE_SIZE as u64;
            let chunk = len.min(page - (dst & ADDR_MASK) % page);
            self.with_page(dst, chunk, true, |d, o| {
                d.fill_u32(o, chunk as usize, value)
            })?;
            dst = dst.checked_add(chunk).ok_or(EFAULT)?;
            len -= chunk;
        }
        Ok(())
    }
}

/// A blit rectangle's geometry, decoded from BR13 and the corner dwords.
struct Rect {
    /// Bytes per pixel.
    cpp: u64,
    /// Signed row pitch in bytes.
    pitch: i64,
    x1: u64,
    y1: u64,
    width: u64,
    height: u64,
}

impl Rect {
    /// Decodes BR13 (`br13`), the top-left corner and the exclusive bottom-right corner.
    fn new(br13: u32, top_left: u32, bottom_right: u32) -> Self {
        let cpp = match (br13 >> 24) & 3 {
            0 => 1,
            3 => 4,
            _ => 2,
        };
        let (x1, y1) = (u64::from(top_left & 0xffff), u64::from(top_left >> 16));
        let (x2, y2) = (
            u64::from(bottom_right & 0xffff),
            u64::from(bottom_right >> 16),
        );
        Self {
            cpp,
            pitch: i64::from(br13 as u16 as i16),
            x1,
            y1,
            width: x2.saturating_sub(x1),
            height: y2.saturating_sub(y1),
        }
    }

    /// Address of row `row` of the rectangle in a surface at `base` with this pitch.
    fn row(&self, base: u64, pitch: i64, row: u64) -> Result<u64> {
        let y = i64::try_from(self.y1 + row).map_err(|_| EFAULT)?;
        let x = i64::try_from(self.x1 * self.cpp).map_err(|_| EFAULT)?;
        let offset = y
            .checked_mul(pitch)
            .and_then(|o| o.checked_add(x))
            .ok_or(EFAULT)?;
        base.checked_add_signed(offset).ok_or(EFAULT)
    }
}

/// Where a batch stopped to let another context run, to resume from there.
#[derive(Clone, Copy, Default)]
pub(crate) struct Cursor {
    /// The next command, once the batch has started.
    ip: Option<u64>,
    /// Where a second-level batch returns to.
    ret: Option<u64>,
    /// The registers, as the batch left them.
    regs: Registers,
}

/// What the engine tells the streamer at a point where it asks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Control {
    /// Go on.
    Continue,
    /// Stop here, to be resumed later (honoured at arbitration points only).
    Yield,
    /// Stop before the next command, to be resumed later by another thread: this changes
    /// nothing for the batch, so it is honoured between commands too (not within a blit).
    Handoff,
}

/// How a batch left the streamer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Outcome {
    /// It ended.
    Done,
    /// It stopped, yielding or handing off; its cursor says where to resume.
    Yielded,
}

/// The command streamer's state while running one batch.
struct Streamer<'a, F> {
    vm: AddressSpace<'a>,
    /// Where a second-level batch returns to.
    ret: Option<u64>,
    regs: Registers,
    /// Where the engine's registers start.
    mmio_base: u32,
    /// Says whether the batch must stop, and why.
    stop: F,
    since_check: u32,
    /// Whether `MI_ARB_CHECK` is an arbitration point (`MI_ARB_ON_OFF` turns that off). A batch
    /// yields only with it on, so it is on whenever a batch resumes.
    arbitration: bool,
}

/// The register offset in a `MI_*_REGISTER_*` dword.
fn register(dword: u32) -> u32 {
    dword & op::REGISTER_MASK
}

/// Joins two dwords into an address.
fn addr(lo: u32, hi: u32) -> u64 {
    (u64::from(hi) << 32 | u64::from(lo)) & ADDR_MASK
}

impl<F: FnMut(Point) -> Result<Control>> Streamer<'_, F> {
    /// Asks `stop` every `CHECK_INTERVAL` commands, or at once at a jump or an arbitration
    /// point.
    fn check(&mut self, point: Point) -> Result<Control> {
        self.since_check += 1;
        if matches!(point, Point::Command | Point::Within) && self.since_check < CHECK_INTERVAL {
            return Ok(Control::Continue);
        }
        self.since_check = 0;
        (self.stop)(point)
    }

    /// At an arbitration point (one only while arbitration is on, else a point where the batch
    /// cannot stop): returns whether the batch stops here.
    fn arbitration_point(&mut self) -> Result<bool> {
        if self.arbitration {
            Ok(self.check(Point::Arbitration)? != Control::Continue)
        } else {
            self.check(Point::Within)?;
            Ok(false)
        }
    }

    /// Reads the `n` dwords of a command at `ip` (header included).
    fn dwords<const N: usize>(&self, ip: u64) -> Result<[u32; N]> {
        let mut d = [0u32; N];
        for (i, v) in d.iter_mut().enumerate() {
            *v = self.vm.read_u32(ip + 4 * i as u64)?;
        }
        Ok(d)
    }

    /// Runs the batch from `ip` to its end, or to an arbitration point where it is told to
    /// yield: then `cursor` says where to resume.
    fn run(&mut self, mut ip: u64, cursor: &mut Cursor) -> Result<Outcome> {
        loop {
            if self.check(Point::Command)? == Control::Handoff {
                return Ok(self.stop(cursor, ip));
            }
            let header = self.vm.read_u32(ip)?;
            let len = match header >> 29 {
                0 => self.mi(header, ip)?,
                2 => self.blt(header, ip)?,
                _ => return Err(EINVAL),
            };
            match len {
                Next::Dwords(n) => ip = ip.checked_add(4 * u64::from(n)).ok_or(EFAULT)?,
                Next::Jump(to) => {
                    if self.check(Point::Jump)? == Control::Handoff {
                        return Ok(self.stop(cursor, to));
                    }
                    ip = to;
                }
                Next::End => match self.ret.take() {
                    Some(to) => ip = to,
                    None => return Ok(Outcome::Done),
                },
                Next::Yield => return Ok(self.stop(cursor, ip + 4)),
                Next::Retry => return Ok(self.stop(cursor, ip)),
            }
        }
    }

    /// Records where to resume: at `ip`, with the registers and the return address of a
    /// second-level batch as they are.
    fn stop(&self, cursor: &mut Cursor, ip: u64) -> Outcome {
        *cursor = Cursor {
            ip: Some(ip),
            ret: self.ret,
            regs: self.regs,
        };
        Outcome::Yielded
    }

    /// Executes a memory-interface command.
    fn mi(&mut self, header: u32, ip: u64) -> Result<Next> {
        let opcode = (header >> 23) & 0x3f;
        // Opcodes below 0x10 are one dword long.
        let len = if opcode < 0x10 {
            1
        } else {
            (header & 0xff) + 2
        };
        match opcode {
            op::MI_NOOP | op::MI_USER_INTERRUPT => {}
            op::MI_ARB_CHECK => {
                if self.arbitration_point()? {
                    return Ok(Next::Yield);
                }
            }
            op::MI_ARB_ON_OFF => self.arbitration = header & op::ARB_ENABLE != 0,
            op::MI_BATCH_BUFFER_END => return Ok(Next::End),
            op::MI_STORE_DATA_IMM => {
                // addr lo, addr hi, then one or two data dwords.
                if !(4..=5).contains(&len) {
                    return Err(EINVAL);
                }
                let [_, lo, hi] = self.dwords::<3>(ip)?;
                let to = addr(lo & !3, hi);
                // All or nothing: check the whole destination first.
                self.vm.resolve(to, 4 * u64::from(len - 3), true)?;
                for i in 0..len - 3 {
                    let value = self.vm.read_u32(ip + 12 + 4 * u64::from(i))?;
                    self.vm.write_u32(to + 4 * u64::from(i), value)?;
                }
            }
            op::MI_LOAD_REGISTER_IMM => {
                // Pairs of a register and its value. Other registers than the modelled ones
                // have no effect (BCS_SWCTRL tiling bits are refused at the blit).
                if len % 2 == 0 {
                    return Err(EINVAL);
                }
                for i in 0..len / 2 {
                    let at = ip + 4 + 8 * u64::from(i);
                    let reg = register(self.vm.read_u32(at)?);
                    let value = self.vm.read_u32(at + 4)?;
                    self.regs.write(self.mmio_base, reg, value);
                }
            }
            op::MI_LOAD_REGISTER_MEM | op::MI_STORE_REGISTER_MEM => {
                // Gen 8: the register, then the dword's address.
                if len != 4 {
                    return Err(EINVAL);
                }
                let [_, reg, lo, hi] = self.dwords::<4>(ip)?;
                let (reg, at) = (register(reg), addr(lo & !3, hi));
                if opcode == op::MI_LOAD_REGISTER_MEM {
                    let value = self.vm.read_u32(at)?;
                    self.regs.write(self.mmio_base, reg, value);
                } else {
                    let value = self.regs.read(self.mmio_base, reg)?;
                    self.vm.write_u32(at, value)?;
                }
            }
            op::MI_LOAD_REGISTER_REG => {
                // The source register, then the destination.
                if len != 3 {
                    return Err(EINVAL);
                }
                let [_, src, dst] = self.dwords::<3>(ip)?;
                let value = self.regs.read(self.mmio_base, register(src))?;
                self.regs.write(self.mmio_base, register(dst), value);
            }
            op::MI_MATH => {
                // One ALU instruction per dword after the header.
                for i in 1..len {
                    let instruction = self.vm.read_u32(ip + 4 * u64::from(i))?;
                    self.regs.alu(instruction)?;
                }
            }
            op::MI_FLUSH_DW => {
                if !(4..=5).contains(&len) {
                    return Err(EINVAL);
                }
                if header & (3 << 14) == op::FLUSH_DW_STORE {
                    let [_, lo, hi, data] = self.dwords::<4>(ip)?;
                    self.vm.write_u32(addr(lo & !7, hi), data)?;
                    if len == 5 {
                        let high = self.vm.read_u32(ip + 16)?;
                        self.vm.write_u32(addr(lo & !7, hi) + 4, high)?;
                    }
                }
            }
            op::MI_BATCH_BUFFER_START => {
                if len != 3 {
                    return Err(EINVAL);
                }
                let [_, lo, hi] = self.dwords::<3>(ip)?;
                if header & op::BBS_SECOND_LEVEL != 0 {
                    if self.ret.is_some() {
                        return Err(EINVAL);
                    }
                    self.ret = Some(ip + 12);
                }
                return Ok(Next::Jump(addr(lo & !3, hi)));
            }
            op::MI_SEMAPHORE_WAIT => {
                // Gen 8: the data to compare with, then the semaphore's address.
                if len != 4 {
                    return Err(EINVAL);
                }
                let [_, data, lo, hi] = self.dwords::<4>(ip)?;
                let value = self.vm.read_u32(addr(lo & !3, hi))?;
                if !semaphore_passes(header, value, data)? {
                    // Polled until it passes (signal mode too: nothing signals here); an
                    // arbitration point meanwhile, as on gen 9 and later.
                    return Ok(if self.arbitration_point()? {
                        Next::Retry
                    } else {
                        Next::Dwords(0)
                    });
                }
            }
            op::MI_COND_BATCH_BUFFER_END => {
                if len != 4 {
                    return Err(EINVAL);
                }
                // Continue while the memory dword is greater than the compare data.
                let [_, data, lo, hi] = self.dwords::<4>(ip)?;
                if self.vm.read_u32(addr(lo & !7, hi))? <= data {
                    return Ok(Next::End);
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(Next::Dwords(len))
    }

    /// Executes a 2D (blitter) command.
    fn blt(&mut self, header: u32, ip: u64) -> Result<Next> {
        let opcode = (header >> 22) & 0x7f;
        let len = (header & 0xff) + 2;
        match opcode {
            op::XY_SETUP_CLIP_BLT if len == 3 => {}
            op::XY_SRC_COPY_BLT if len == 10 => {
                if header & (op::BLT_SRC_TILED | op::BLT_DST_TILED) != 0 {
                    return Err(EINVAL);
                }
                let d = self.dwords::<10>(ip)?;
                if (d[1] >> 16) & 0xff != op::ROP_SRCCOPY {
                    return Err(EINVAL);
                }
                let rect = Rect::new(d[1], d[2], d[3]);
                let (dst, src) = (addr(d[4], d[5]), addr(d[8], d[9]));
                let src_pitch = i64::from(d[7] as u16 as i16);
                let src_rect = Rect::new(d[1], d[6], d[6]);
                let bytes = rect.width * rect.cpp;
                for row in 0..rect.height {
                    self.check(Point::Within)?;
                    let to = rect.row(dst, rect.pitch, row)?;
                    let from = src_rect.row(src, src_pitch, row)?;
                    self.vm.copy(to, from, bytes)?;
                }
            }
            op::XY_COLOR_BLT if len == 7 => {
                if header & op::BLT_DST_TILED != 0 {
                    return Err(EINVAL);
                }
                let d = self.dwords::<7>(ip)?;
                let rect = Rect::new(d[1], d[2], d[3]);
                if (d[1] >> 16) & 0xff != op::ROP_PATCOPY || rect.cpp != 4 {
                    return Err(EINVAL);
                }
                let dst = addr(d[4], d[5]);
                for row in 0..rect.height {
                    self.check(Point::Within)?;
                    let to = rect.row(dst, rect.pitch, row)?;
                    if to % 4 != 0 {
                        return Err(EINVAL);
                    }
                    self.vm.fill(to, rect.width * 4, d[6])?;
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(Next::Dwords(len))
    }
}

/// Where the streamer asks whether to stop.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Point {
    /// Between commands.
    Command,
    /// At a jump (`MI_BATCH_BUFFER_START`) or the start.
    Jump,
    /// At an arbitration point (`MI_ARB_CHECK`), where real hardware could preempt the batch.
    Arbitration,
    /// Where the batch cannot stop (within a blit, at its start, at an `MI_ARB_CHECK` with
    /// arbitration off): only an error ends it there.
    Within,
}

/// Where the streamer goes after a command.
enum Next {
    /// To the next command, this many dwords on.
    Dwords(u32),
    /// To this address.
    Jump(u64),
    /// To the end of the current batch.
    End,
    /// Out of the streamer, to resume at the next command.
    Yield,
    /// Out of the streamer, to resume at this command.
    Retry,
}

/// Whether an `MI_SEMAPHORE_WAIT` with `header` passes: the semaphore's `value` compared, by the
/// header's operation, with `data`.
fn semaphore_passes(header: u32, value: u32, data: u32) -> Result<bool> {
    Ok(match (header >> op::SEMAPHORE_COMPARE_SHIFT) & 7 {
        0 => value > data,
        1 => value >= data,
        2 => value < data,
        3 => value <= data,
        4 => value == data,
        5 => value != data,
        _ => return Err(EINVAL),
    })
}

/// Runs the batch at `batch` in the address space `maps` (sorted by start address), on an engine
/// whose registers start at `mmio_base`, from where `cursor` says, until it ends or yields. `stop` is asked regularly, and at every jump and
/// arbitration point, whether to go on; its error ends the batch, its [`Control::Yield`] at an
/// arbitration point and its [`Control::Handoff`] anywhere but at a [`Point::Within`] stop it
/// there, `cursor` recording where to resume.
pub(crate) fn execute(
    maps: &[Mapping],
    batch: u64,
    mmio_base: u32,
    cursor: &mut Cursor,
    stop: impl FnMut(Point) -> Result<Control>,
) -> Result<Outcome> {
    let mut s = Streamer {
        vm: AddressSpace::new(maps),
        ret: cursor.ret,
        regs: cursor.regs,
        mmio_base,
        stop,
        since_check: 0,
        arbitration: true,
    };
    // Asked at once at the start, where the batch cannot stop.
    (s.stop)(Point::Within)?;
    let ip = cursor.ip.unwrap_or(batch);
    s.run(ip, cursor)
}

#[kunit_tests(vi915_cmd)]
mod tests {
    use super::*;
    use crate::{
        driver::{
            self,
            Vi915Driver, //
        },
        gem::{
            Object,
            Source, //
        },
    };
    use kernel::{
        drm::{
            gem::shmem::ObjectConfig,
            UnregisteredDevice, //
        },
        faux,
    };

    /// The render engine's registers.
    const RCS_BASE: u32 = 0x2000;
    const MI_NOOP: u32 = 0;
    const MI_ARB_CHECK: u32 = 0x0280_0000;
    const MI_ARB_OFF: u32 = 0x0400_0000;
    const MI_ARB_ON: u32 = 0x0400_0001;
    const MI_BATCH_BUFFER_END: u32 = 0x0500_0000;
    const MI_STORE_DWORD_IMM: u32 = 0x1000_0002;
    const MI_STORE_QWORD_IMM: u32 = 0x1000_0003;
    const MI_FLUSH_DW_STORE: u32 = 0x1300_4002;
    const MI_BATCH_BUFFER_START: u32 = 0x1880_0101;
    const MI_BBS_SECOND_LEVEL: u32 = MI_BATCH_BUFFER_START | 1 << 22;
    const MI_COND_BATCH_BUFFER_END: u32 = 0x1b20_0002;
    /// Polling mode, compare operation `op`.
    const fn mi_semaphore_wait(op: u32) -> u32 {
        0x0e00_8002 | op << 12
    }
    const XY_SRC_COPY_BLT: u32 = 0x54f0_0008;
    const XY_COLOR_BLT: u32 = 0x5430_0005;

    const BATCH: u64 = 0x10_0000;
    const DATA: u64 = 0x20_0000;
    const RO: u64 = 0x30_0000;

    /// An address space with a one-page batch, a three-page writable object and a read-only
    /// page, on a device of its own.
    struct Space {
        maps: KVec<Mapping>,
        _drm: UnregisteredDevice<Vi915Driver>,
        _reg: faux::Registration,
    }

    impl Space {
        /// `name` names the faux device; each test has its own, so a failed test that leaks
        /// its space does not fail the next.
        fn new(name: &CStr) -> Result<Self> {
            let reg = faux::Registration::new(name, None)?;
            let drm = driver::new_device(reg.as_ref(), false)?;
            let mut maps = KVec::new();
            for (start, pages, writable) in [(BATCH, 1, false), (DATA, 3, true), (RO, 1, false)] {
                let size = pages * PAGE_SIZE;
                let obj = Object::new(&drm, size, ObjectConfig::default(), Source::Shmem)?;
                maps.push(
                    Mapping {
                        start,
                        size: size as u64,
                        pages: Backing::Shmem(obj.pin_pages()?),
                        writable,
                    },
                    GFP_KERNEL,
                )?;
            }
            Ok(Self {
                maps,
                _drm: drm,
                _reg: reg,
            })
        }

        fn vm(&self) -> AddressSpace<'_> {
            AddressSpace::new(&self.maps)
        }

        /// Writes dwords at `addr`, whatever the mapping's permissions.
        fn put(&self, addr: u64, dwords: &[u32]) -> Result {
            for (i, d) in dwords.iter().enumerate() {
                let a = addr + 4 * i as u64;
                let m = self
                    .maps
                    .iter()
                    .find(|m| m.start <= a && a < m.start + m.size);
                let m = m.ok_or(EINVAL)?;
                let off = a - m.start;
                m.pages.with_page((off / PAGE_SIZE as u64) as usize, |p| {
                    p.write_u32((off % PAGE_SIZE as u64) as usize, *d)
                })?;
            }
            Ok(())
        }

        fn get(&self, addr: u64) -> Result<u32> {
            self.vm().read_u32(addr)
        }

        fn run(&self, batch: &[u32]) -> Result {
            self.put(BATCH, batch)?;
            run_all(&self.maps, BATCH)
        }
    }

    /// Runs a batch to its end, never yielding.
    fn run_all(maps: &[Mapping], batch: u64) -> Result {
        let r = execute(maps, batch, RCS_BASE, &mut Cursor::default(), |_| {
            Ok(Control::Continue)
        })?;
        assert_eq!(r, Outcome::Done);
        Ok(())
    }

    fn lo(a: u64) -> u32 {
        a as u32
    }

    fn hi(a: u64) -> u32 {
        (a >> 32) as u32
    }

    #[test]
    fn stores_and_flushes() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-stores")?;
        let (a, b) = (DATA + 8, DATA + PAGE_SIZE as u64 - 4);
        s.run(&[
            MI_STORE_DWORD_IMM,
            lo(a),
            hi(a),
            0x1111_1111,
            // A qword store straddling a page boundary.
            MI_STORE_QWORD_IMM,
            lo(b),
            hi(b),
            0x2222_2222,
            0x3333_3333,
            MI_FLUSH_DW_STORE,
            lo(DATA + 64),
            hi(DATA + 64),
            0x4444_4444,
            MI_NOOP,
            MI_ARB_CHECK,
            MI_BATCH_BUFFER_END,
        ])?;
        assert_eq!(s.get(a)?, 0x1111_1111);
        assert_eq!(s.get(b)?, 0x2222_2222);
        assert_eq!(s.get(b + 4)?, 0x3333_3333);
        assert_eq!(s.get(DATA + 64)?, 0x4444_4444);
        // Canonical (sign-extended) addresses name the same place.
        let canonical = DATA | 0xffff_0000_0000_0000;
        s.run(&[
            MI_STORE_DWORD_IMM,
            lo(canonical),
            hi(canonical),
            5,
            MI_BATCH_BUFFER_END,
        ])?;
        assert_eq!(s.get(DATA)?, 5);
        Ok(())
    }

    #[test]
    fn registers_load_add_and_store() -> Result {
        const LRI: u32 = 0x1100_0001;
        const LRM: u32 = 0x1480_0002;
        const SRM: u32 = 0x1200_0002;
        const LRR: u32 = 0x1500_0001;
        const MATH_4: u32 = 0x0d00_0003;
        const GPR0: u32 = RCS_BASE + 0x600;
        let s = Space::new(c"vi915-kunit-cmd-registers")?;
        s.put(DATA, &[40, 0])?;
        s.run(&[
            // GPR0 = 40 from memory (both halves); GPR1's low half = 2 by immediate, and
            // copied into its high half.
            LRM,
            GPR0,
            lo(DATA),
            hi(DATA),
            LRM,
            GPR0 + 4,
            lo(DATA + 4),
            hi(DATA + 4),
            LRI,
            GPR0 + 8,
            2,
            LRR,
            GPR0 + 8,
            GPR0 + 12,
            // GPR2 = GPR0 + GPR1.
            MATH_4,
            0x0800_8000,
            0x0800_8401,
            0x1000_0000,
            0x1800_0831,
            SRM,
            GPR0 + 16,
            lo(DATA + 16),
            hi(DATA + 16),
            SRM,
            GPR0 + 20,
            lo(DATA + 20),
            hi(DATA + 20),
            MI_BATCH_BUFFER_END,
        ])?;
        assert_eq!(s.get(DATA + 16)?, 42);
        assert_eq!(s.get(DATA + 20)?, 2);
        // Storing a register vi915 does not model fails the batch; so does a bad ALU operand.
        assert_eq!(
            s.run(&[
                SRM,
                RCS_BASE + 0x358,
                lo(DATA),
                hi(DATA),
                MI_BATCH_BUFFER_END
            ]),
            Err(EINVAL)
        );
        assert_eq!(
            s.run(&[0x0d00_0000, 0x0800_0000, MI_BATCH_BUFFER_END]),
            Err(EINVAL)
        );
        // A store into a read-only object faults.
        assert_eq!(
            s.run(&[SRM, GPR0, lo(RO), hi(RO), MI_BATCH_BUFFER_END]),
            Err(EFAULT)
        );
        Ok(())
    }

    #[test]
    fn jumps_and_conditional_end() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-jumps")?;
        // BATCH: call a second-level batch at BATCH + 0x100, store, jump to BATCH + 0x200.
        s.put(
            BATCH + 0x100,
            &[
                MI_STORE_DWORD_IMM,
                lo(DATA),
                hi(DATA),
                1,
                MI_BATCH_BUFFER_END,
            ],
        )?;
        s.put(
            BATCH + 0x200,
            &[
                // Ends here: memory (0) is not greater than the compare value (0).
                MI_COND_BATCH_BUFFER_END,
                0,
                lo(DATA + 16),
                hi(DATA + 16),
                MI_STORE_DWORD_IMM,
                lo(DATA + 8),
                hi(DATA + 8),
                3,
                MI_BATCH_BUFFER_END,
            ],
        )?;
        s.run(&[
            MI_BBS_SECOND_LEVEL,
            lo(BATCH + 0x100),
            hi(BATCH + 0x100),
            MI_STORE_DWORD_IMM,
            lo(DATA + 4),
            hi(DATA + 4),
            2,
            MI_BATCH_BUFFER_START,
            lo(BATCH + 0x200),
            hi(BATCH + 0x200),
        ])?;
        assert_eq!(s.get(DATA)?, 1);
        assert_eq!(s.get(DATA + 4)?, 2);
        assert_eq!(s.get(DATA + 8)?, 0);
        // With memory above the compare value, the batch goes on.
        s.put(DATA + 16, &[1])?;
        run_all(&s.maps, BATCH + 0x200)?;
        assert_eq!(s.get(DATA + 8)?, 3);
        Ok(())
    }

    #[test]
    fn blits() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-blits")?;
        // 32 x 30 pixels of 4 bytes from pitch 128 to pitch 256, across a page boundary.
        for i in 0..(PAGE_SIZE as u64 / 4) {
            s.put(DATA + 4 * i, &[i as u32])?;
        }
        let dst = DATA + PAGE_SIZE as u64 - 64;
        #[rustfmt::skip]
        let batch = [
            XY_SRC_COPY_BLT, 0x03cc_0000 | 256, 0, (30 << 16) | 32, lo(dst), hi(dst),
            0, 128, lo(DATA), hi(DATA),
            XY_COLOR_BLT, 0x03f0_0000 | 256, (1 << 16) | 2, (2 << 16) | 4, lo(dst), hi(dst),
            0xabcd_abcd,
            MI_BATCH_BUFFER_END,
        ];
        s.run(&batch)?;
        for y in 0..30u64 {
            for x in 0..33u64 {
                let got = s.get(dst + y * 256 + x * 4)?;
                let want = if x == 32 {
                    0
                } else if y == 1 && (2..4).contains(&x) {
                    0xabcd_abcd
                } else {
                    (y * 32 + x) as u32
                };
                assert_eq!(got, want);
            }
        }
        Ok(())
    }

    #[test]
    fn bad_batches() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-bad")?;
        let end = DATA + 3 * PAGE_SIZE as u64;
        // Outside every object; the read-only object; past the end of an object.
        let outside = 0x7000_0000;
        assert_eq!(
            s.run(&[MI_STORE_DWORD_IMM, lo(outside), 0, 1, MI_BATCH_BUFFER_END]),
            Err(EFAULT)
        );
        assert_eq!(
            s.run(&[MI_STORE_DWORD_IMM, lo(RO), 0, 1, MI_BATCH_BUFFER_END]),
            Err(EFAULT)
        );
        assert_eq!(
            s.run(&[
                MI_STORE_QWORD_IMM,
                lo(end - 4),
                0,
                1,
                2,
                MI_BATCH_BUFFER_END
            ]),
            Err(EFAULT)
        );
        assert_eq!(s.get(end - 4)?, 0);
        // A copy reading or writing out of bounds.
        assert_eq!(
            s.run(&[
                XY_SRC_COPY_BLT,
                0x03cc_0000 | 4096,
                0,
                (4 << 16) | 1024,
                lo(DATA),
                0,
                0,
                4096,
                lo(DATA),
                0,
                MI_BATCH_BUFFER_END
            ]),
            Err(EFAULT)
        );
        // Unknown commands, a bad length, a tiled blit, a batch that runs off its object.
        assert_eq!(s.run(&[0xe000_0000, MI_BATCH_BUFFER_END]), Err(EINVAL));
        assert_eq!(s.run(&[0x0f80_0000, MI_BATCH_BUFFER_END]), Err(EINVAL));
        assert_eq!(
            s.run(&[MI_STORE_DWORD_IMM + 4, 0, 0, 0, MI_BATCH_BUFFER_END]),
            Err(EINVAL)
        );
        assert_eq!(
            s.run(&[XY_SRC_COPY_BLT | 1 << 15, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(EINVAL)
        );
        s.put(BATCH, &[MI_NOOP; PAGE_SIZE / 4])?;
        assert_eq!(run_all(&s.maps, BATCH), Err(EFAULT));
        Ok(())
    }

    #[test]
    fn a_loop_stops_when_asked() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-loop")?;
        s.put(
            BATCH,
            &[MI_ARB_CHECK, MI_BATCH_BUFFER_START, lo(BATCH), hi(BATCH)],
        )?;
        let (mut asked, mut arbitrations) = (0, 0);
        let r = execute(&s.maps, BATCH, RCS_BASE, &mut Cursor::default(), |point| {
            asked += 1;
            if point == Point::Arbitration {
                arbitrations += 1;
            }
            if asked == 1000 {
                Err(EIO)
            } else {
                Ok(Control::Continue)
            }
        });
        assert_eq!(r, Err(EIO));
        assert_eq!(asked, 1000);
        // The start, then an arbitration point and a jump per loop.
        assert_eq!(arbitrations, 500);
        Ok(())
    }

    #[test]
    fn arbitration_can_be_turned_off() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-arb-off")?;
        #[rustfmt::skip]
        let batch = [
            MI_ARB_OFF, MI_ARB_CHECK, MI_ARB_CHECK,
            MI_ARB_ON, MI_ARB_CHECK,
            MI_BATCH_BUFFER_END,
        ];
        s.put(BATCH, &batch)?;
        let mut arbitrations = 0;
        let r = execute(&s.maps, BATCH, RCS_BASE, &mut Cursor::default(), |point| {
            if point == Point::Arbitration {
                arbitrations += 1;
            }
            Ok(Control::Continue)
        })?;
        assert_eq!(r, Outcome::Done);
        // Only the check after MI_ARB_ON_OFF turned arbitration back on.
        assert_eq!(arbitrations, 1);
        Ok(())
    }

    #[test]
    fn hands_off_between_any_commands_and_resumes() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-handoff")?;
        // No arbitration point: a hand-off stops it all the same, here at the jump.
        let next = BATCH + 0x40;
        #[rustfmt::skip]
        let batch = [
            MI_STORE_DWORD_IMM, lo(DATA), hi(DATA), 1,
            MI_BATCH_BUFFER_START, lo(next), hi(next),
        ];
        s.put(BATCH, &batch)?;
        #[rustfmt::skip]
        let rest = [
            MI_STORE_DWORD_IMM, lo(DATA + 4), hi(DATA + 4), 2,
            MI_BATCH_BUFFER_END,
        ];
        s.put(next, &rest)?;
        s.put(DATA, &[0, 0])?;
        let mut cursor = Cursor::default();
        // Asked at the start, then at the jump: hand off there.
        let mut asked = 0;
        let r = execute(&s.maps, BATCH, RCS_BASE, &mut cursor, |_| {
            asked += 1;
            Ok(if asked == 2 {
                Control::Handoff
            } else {
                Control::Continue
            })
        })?;
        assert_eq!(r, Outcome::Yielded);
        assert_eq!((s.get(DATA)?, s.get(DATA + 4)?), (1, 0));
        let r = execute(&s.maps, BATCH, RCS_BASE, &mut cursor, |_| {
            Ok(Control::Continue)
        })?;
        assert_eq!(r, Outcome::Done);
        assert_eq!((s.get(DATA)?, s.get(DATA + 4)?), (1, 2));
        Ok(())
    }

    #[test]
    fn semaphore_waits_compare_and_poll() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-semaphore")?;
        let sem = DATA + 0x100;
        // value 5 against data 5, with each operation: >, >=, <, <=, ==, !=.
        for (op, passes) in [
            (0, false),
            (1, true),
            (2, false),
            (3, true),
            (4, true),
            (5, false),
        ] {
            s.put(sem, &[5])?;
            #[rustfmt::skip]
            let batch = [
                mi_semaphore_wait(op), 5, lo(sem), hi(sem),
                MI_STORE_DWORD_IMM, lo(DATA), hi(DATA), 1,
                MI_BATCH_BUFFER_END,
            ];
            s.put(BATCH, &batch)?;
            s.put(DATA, &[0])?;
            let mut cursor = Cursor::default();
            // Told to yield at its first arbitration point, which only a wait has.
            let r = execute(&s.maps, BATCH, RCS_BASE, &mut cursor, |point| {
                Ok(if point == Point::Arbitration {
                    Control::Yield
                } else {
                    Control::Continue
                })
            })?;
            let expected = if passes {
                Outcome::Done
            } else {
                Outcome::Yielded
            };
            assert_eq!((op, r, s.get(DATA)?), (op, expected, u32::from(passes)));
            if !passes {
                // It waits at the semaphore: it passes once the value is changed (6 > 5, or
                // 4 for <, != passing with either).
                s.put(sem, &[if op == 2 { 4 } else { 6 }])?;
                let r = execute(&s.maps, BATCH, RCS_BASE, &mut cursor, |_| {
                    Ok(Control::Continue)
                })?;
                assert_eq!((r, s.get(DATA)?), (Outcome::Done, 1));
            }
        }
        // Without arbitration it polls where it cannot stop, until something ends it.
        s.put(sem, &[0])?;
        #[rustfmt::skip]
        let batch = [
            MI_ARB_OFF, mi_semaphore_wait(0), 0, lo(sem), hi(sem),
            MI_BATCH_BUFFER_END,
        ];
        s.put(BATCH, &batch)?;
        let mut asked = 0;
        let r = execute(&s.maps, BATCH, RCS_BASE, &mut Cursor::default(), |point| {
            assert_ne!(point, Point::Arbitration);
            asked += 1;
            if asked == 100 {
                Err(EIO)
            } else {
                Ok(Control::Continue)
            }
        });
        assert_eq!(r, Err(EIO));
        // An unknown operation, and a wrong length.
        s.put(BATCH, &[mi_semaphore_wait(6), 0, lo(sem), hi(sem)])?;
        assert_eq!(run_all(&s.maps, BATCH), Err(EINVAL));
        s.put(BATCH, &[mi_semaphore_wait(0) + 1, 0, lo(sem), hi(sem), 0])?;
        assert_eq!(run_all(&s.maps, BATCH), Err(EINVAL));
        Ok(())
    }

    #[test]
    fn yields_at_arbitration_points_and_resumes() -> Result {
        let s = Space::new(c"vi915-kunit-cmd-yield")?;
        // Store 1, arbitrate, store 2 through a second-level batch that arbitrates, store 3.
        let second = BATCH + 0x100;
        #[rustfmt::skip]
        let first_level = [
            MI_STORE_DWORD_IMM, lo(DATA), hi(DATA), 1,
            MI_ARB_CHECK,
            MI_BBS_SECOND_LEVEL, lo(second), hi(second),
            MI_STORE_DWORD_IMM, lo(DATA), hi(DATA), 3,
            MI_BATCH_BUFFER_END,
        ];
        s.put(BATCH, &first_level)?;
        #[rustfmt::skip]
        let second_level = [
            MI_STORE_DWORD_IMM, lo(DATA), hi(DATA), 2,
            MI_ARB_CHECK,
            MI_BATCH_BUFFER_END,
        ];
        s.put(second, &second_level)?;
        let mut cursor = Cursor::default();
        let mut seen = KVec::new();
        let step = |cursor: &mut Cursor| {
            execute(&s.maps, BATCH, RCS_BASE, cursor, |point| {
                Ok(if point == Point::Arbitration {
                    Control::Yield
                } else {
                    Control::Continue
                })
            })
        };
        for _ in 0..3 {
            let r = step(&mut cursor)?;
            seen.push((r, s.get(DATA)?), GFP_KERNEL)?;
        }
        assert_eq!(
            &seen[..],
            &[
                (Outcome::Yielded, 1),
                (Outcome::Yielded, 2),
                (Outcome::Done, 3)
            ]
        );
        Ok(())
    }
}
