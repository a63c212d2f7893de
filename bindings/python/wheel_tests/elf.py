"""What the tests read from an ELF shared object (with pyelftools)."""

from __future__ import annotations

import dataclasses
import pathlib

from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile

DF_BIND_NOW = 0x8  # DT_FLAGS
DF_1_NOW = 0x1  # DT_FLAGS_1


@dataclasses.dataclass(frozen=True)
class Segment:
    type: str  # "PT_LOAD", "PT_GNU_RELRO", "PT_GNU_STACK", ...
    vaddr: int
    memsz: int
    readable: bool
    writable: bool
    executable: bool

    def covers(self, start: int, size: int) -> bool:
        return self.vaddr <= start and start + size <= self.vaddr + self.memsz


@dataclasses.dataclass(frozen=True)
class SharedObject:
    path: pathlib.Path
    dynamic: dict[str, list]  # DT_NEEDED -> names, DT_FLAGS -> [value], ...
    segments: list[Segment]
    sections: dict[str, tuple[int, int]]  # allocated section name -> (address, size)
    undefined: set[str]  # dynamic symbols it imports
    defined: set[str]  # dynamic symbols it exports

    def flag(self, tag: str) -> int:
        return sum(self.dynamic.get(tag, []))

    def segments_of(self, kind: str) -> list[Segment]:
        return [s for s in self.segments if s.type == kind]


def _dynamic(elf: ELFFile) -> dict[str, list]:
    out: dict[str, list] = {}
    for tag in elf.get_section_by_name(".dynamic").iter_tags():
        if tag.entry.d_tag == "DT_NEEDED":
            value = tag.needed
        elif tag.entry.d_tag in ("DT_RPATH", "DT_RUNPATH"):
            value = getattr(tag, "rpath", None) or getattr(tag, "runpath", None)
        elif tag.entry.d_tag == "DT_SONAME":
            value = tag.soname
        else:
            value = tag.entry.d_val
        out.setdefault(tag.entry.d_tag, []).append(value)
    return out


def read(path: pathlib.Path) -> SharedObject:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        segments = [
            Segment(
                type=seg["p_type"],
                vaddr=seg["p_vaddr"],
                memsz=seg["p_memsz"],
                readable=bool(seg["p_flags"] & P_FLAGS.PF_R),
                writable=bool(seg["p_flags"] & P_FLAGS.PF_W),
                executable=bool(seg["p_flags"] & P_FLAGS.PF_X),
            )
            for seg in elf.iter_segments()
        ]
        sections = {
            s.name: (s["sh_addr"], s["sh_size"])
            for s in elf.iter_sections()
            if s["sh_flags"] & 0x2  # SHF_ALLOC
        }
        undefined, defined = set(), set()
        for sym in elf.get_section_by_name(".dynsym").iter_symbols():
            if not sym.name:
                continue
            (undefined if sym["st_shndx"] == "SHN_UNDEF" else defined).add(sym.name)
        return SharedObject(path, _dynamic(elf), segments, sections, undefined, defined)


def section_bytes(path: pathlib.Path, name: str) -> bytes:
    """The contents of one section."""
    with open(path, "rb") as f:
        return ELFFile(f).get_section_by_name(name).data()
