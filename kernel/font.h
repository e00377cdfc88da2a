/*
 * font.h - the console font, generated at build time by scripts/psf2c.py
 * from a PSF font into $(O)/gen/font.c.
 *
 * Layout: glyph g, pixel row r is font_bytes_per_row bytes starting at
 * font_data[(g * font_height + r) * font_bytes_per_row]; within a row the
 * most significant bit of the first byte is the leftmost pixel.
 *
 * Invariants (checked by psf2c.py): font_bytes_per_row == (font_width + 7) / 8,
 * font_nr_glyphs >= 1, and every font_ascii_map[] entry is < font_nr_glyphs.
 * font_ascii_map[c] is the glyph for Unicode code point c (0..255, Latin-1),
 * or the glyph for '?' when the font has none.
 */
#ifndef KERNEL_FONT_H
#define KERNEL_FONT_H

extern const unsigned int font_width;
extern const unsigned int font_height;
extern const unsigned int font_bytes_per_row;
extern const unsigned int font_nr_glyphs;
extern const unsigned char font_data[];
extern const unsigned short font_ascii_map[256];

#endif
