import { z } from 'zod';

/**
 * The pieces every venues sub-domain's schemas share (ids, instants, texts, enums, path
 * parameters); each sub-domain has its own `<sub-domain>.schemas.ts`. They feed OpenAPI.
 */

export const id = z.uuid();
export const instant = z.iso.datetime({ offset: true });
export const text = (max: number) => z.string().trim().min(1).max(max);

export const STADIUM_TYPES = ['HOME', 'AWAY'] as const;
export const SECTOR_TYPES = ['STANDARD', 'VIP', 'ACCESSIBILITY', 'STANDING'] as const;
export const SEAT_MAP_STATUSES = ['DRAFT', 'GENERATED'] as const;

export const stadiumParams = z.object({ stadiumId: id });
export const stadiumSectorParams = z.object({ stadiumId: id, sectorId: id });
export const sectorParams = z.object({ sectorId: id });
export const seatParams = z.object({ seatId: id });
