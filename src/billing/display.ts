/**
 * The apps' display strings for money and time, in the documented shapes. Dates are China time
 * (Asia/Shanghai, UTC+8 all year: China has no daylight saving), whatever the server's zone.
 */
export const diamondsPerMinute = (diamonds: number) => `${diamonds}钻石/分钟`;
export const pointsPerMinute = (points: number) => `${points}积分/分钟`;
export const minutesText = (minutes: number) => `${minutes}分钟`;
export const pointsText = (points: number) => `${points}积分`;
export const spentDiamondsText = (diamonds: number) => `消耗${diamonds}钻石`;
export const earnedPointsText = (points: number) => `获得${points}积分`;

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** `yyyy-MM-dd HH:mm` (or with `:ss`) in China time. */
export function chinaDateTime(date: Date, withSeconds = false): string {
  const iso = new Date(date.getTime() + CHINA_OFFSET_MS).toISOString(); // yyyy-MM-ddTHH:mm:ss.sssZ
  return `${iso.slice(0, 10)} ${iso.slice(11, withSeconds ? 19 : 16)}`;
}
