import { withAbsoluteDates } from './absolute-dates';

const reference = new Date('2024-06-19T12:00:00Z'); // a Wednesday

describe('absolute dates in events', () => {
  it.each([
    ['User went hiking with June yesterday', 'backward', 'User went hiking with June on 18 June 2024'],
    ['User ran 10 km in 50 minutes yesterday', 'backward', 'User ran 10 km in 50 minutes on 18 June 2024'],
    ['User watched Friday Night Lights last night', 'backward', 'User watched Friday Night Lights on 18 June 2024'],
    ['User bought a Sunday roast yesterday', 'backward', 'User bought a Sunday roast on 18 June 2024'],
    ['User is staying in Berlin until Friday', 'forward', 'User is staying in Berlin until 21 June 2024'],
    ['User has a meeting this Friday at 3pm', 'forward', 'User has a meeting on 21 June 2024 at 3pm'],
    ['User got married last week', 'backward', 'User got married in the week of 10 June 2024'],
    ['User got laid off on Thursday', 'backward', 'User got laid off on 13 June 2024'],
    ['User painted that lake sunrise last year', 'backward', 'User painted that lake sunrise in 2023'],
    ['User moved to Oslo in March 2021', 'backward', 'User moved to Oslo in March 2021'],
  ] as const)('%s (%s) -> %s', (text, direction, expected) => {
    expect(withAbsoluteDates(text, reference, direction)).toBe(expected);
  });
});
